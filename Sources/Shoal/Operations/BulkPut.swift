import LMDB

/// An item a bulk load refused, by its position in the input.
public struct BulkPutFailure: Sendable, Error {
    public var position: Int
    public var error: ShoalError
}

extension Database {
    /// Items per writer unit in a bulk load: large enough to amortize the unit, small enough for
    /// other writes to interleave.
    static let bulkUnit = 256

    /// Puts many items at once, as PutItem would one by one (each checked as PutItem checks it:
    /// key, size, types, index keys) but written in units of the shards' write groups, every shard
    /// at once. An item that fails its checks is reported and not written; every other item is.
    /// Unconditional: a later item with the same key replaces an earlier one. For imports and
    /// restores; it does not wait for items held by transactions.
    /// - Returns: the refused items with their errors, in input order.
    /// With `stopAtFirstFailure`, only the items before the first refused one are written.
    public func bulkPut(tableName: String, items: [Item], stopAtFirstFailure: Bool = false) async throws(ShoalError) -> [BulkPutFailure] {
        try await bulkPut(handle(tableName), items: items, stopAtFirstFailure: stopAtFirstFailure)
    }

    func bulkPut(_ handle: TableHandle, items: [Item], stopAtFirstFailure: Bool = false) async throws(ShoalError) -> [BulkPutFailure] {
        var failures: [BulkPutFailure] = []
        var prepared: [(position: Int, write: PreparedPut)] = []
        prepared.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            do {
                prepared.append((position, try PreparedPut(handle: handle, item: item)))
            } catch {
                failures.append(BulkPutFailure(position: position, error: error))
                if stopAtFirstFailure { break }
            }
        }
        var byShard = [[PreparedPut]](repeating: [], count: shards.count)
        for (_, write) in prepared { byShard[ring.shard(for: write.token)].append(write) }
        let shards = self.shards
        try await run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Shards side by side; within a shard, units in input order (a later write of a key wins).
                for (index, prepared) in byShard.enumerated() where !prepared.isEmpty {
                    group.addTask {
                        for start in stride(from: 0, to: prepared.count, by: Database.bulkUnit) {
                            let unit = Array(prepared[start..<min(start + Database.bulkUnit, prepared.count)])
                            try await shards[index].writer.perform { context in
                                for write in unit { _ = try write.apply(in: context, returningOld: false) }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return failures
    }

    /// Calls `body` with every item of the table as one view of every shard shows it (no
    /// transaction half visible), shard after shard. For exports; `body` runs synchronously
    /// inside the read transactions, so it should not be slow per item.
    public func forEachItem(tableName: String, _ body: (Item) throws -> Void) throws(ShoalError) {
        let table = try handle(tableName)
        try runSync { try forEachStoredValue(table) { try body(try ShardLayout.decodeValue($0).item) } }
    }

    /// Every stored item value of the table from one view of every shard, as a long read (see
    /// ``LongReads``): exports and table backups.
    func forEachStoredValue(_ table: TableHandle, _ body: ([UInt8]) throws -> Void) throws {
        try longReads.during {
            try withSnapshots(shards[...]) { txns in
                for (index, txn) in txns.enumerated() {
                    try txn.withCursor(table.items(index)) { cursor in
                        var more = try cursor.first()
                        while more {
                            try body(cursor.value.array)
                            more = try cursor.next()
                        }
                    }
                }
            }
        }
    }
}
