import LMDB

extension Database {
    /// Items indexed per writer unit: small enough that other writes interleave with the backfill
    /// (measured over 1M items under 8 writers: 64 keeps the writers at ~50 % of their rate alone,
    /// 128 at ~40 %, 256 at ~30 %, for a backfill 1.3× and 1.8× faster; see BENCHMARKS.md).
    static let backfillBatch = 64

    /// Indexes every existing item into a new global index, shard by shard, in batches that run
    /// as units of the shards' write groups, then marks it ACTIVE. Writes made meanwhile maintain
    /// the index themselves, and a batch never overwrites their entries, so each item is indexed
    /// exactly once. Restartable: after a crash or a failure the backfill runs again from the start.
    func backfill(tableName: String, tableID: String, indexID: String) async throws {
        for shard in shards {
            var after: [UInt8]?
            while true {
                let last = try await shard.writer.perform { [after] context -> [UInt8]? in
                    let table = try context.table(tableID)
                    guard let index = table.indexes.first(where: { $0.id == indexID }) else { return nil }
                    let batch = try context.entries(table.items, after: after, limit: Database.backfillBatch)
                    try context.backfill(index, tableID: tableID, items: batch)
                    return batch.count < Database.backfillBatch ? nil : batch.last?.key
                }
                guard let last else { break }
                after = last
            }
        }
        try await activate(tableName: tableName, tableID: tableID, indexID: indexID)
    }

    /// Marks a backfilled index ACTIVE through the schema funnel (every shard's writer gets its
    /// new rules, then the registry).
    private func activate(tableName: String, tableID: String, indexID: String) async throws {
        try await alterTable(tableName, id: tableID) { table throws(ShoalError) in
            table.indexes = table.allIndexes.map { index in
                guard index.id == indexID, index.status == .creating else { return index }
                var active = index
                active.status = .active
                return active
            }
        }
    }

    /// Starts the backfill of every index a previous run left CREATING.
    func resumeBackfills() {
        guard !options.readOnly else { return }
        for name in tableNames() {
            guard let handle = lookup(name) else { continue }
            for index in handle.definition.allIndexes where index.status == .creating {
                let (tableID, indexID) = (handle.definition.id, index.id)
                jobs.start("index backfill \(name)/\(index.name)", retrying: true) { [self] in
                    try await backfill(tableName: name, tableID: tableID, indexID: indexID)
                }
            }
        }
    }
}
