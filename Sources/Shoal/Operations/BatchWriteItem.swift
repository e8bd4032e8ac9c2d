public enum WriteRequest: Sendable, Equatable {
    case put(Item)
    case delete(key: Item)
}

public struct BatchWriteItemRequest: Sendable {
    public var requestItems: [String: [WriteRequest]]
    /// `.size`: report the size of each written item collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics = .none

    public init(requestItems: [String: [WriteRequest]]) { self.requestItems = requestItems }
}

public struct BatchWriteItemResponse: Sendable, Equatable {
    /// Writes left undone: the requests of a shard that could not apply its part (for example a
    /// table deleted while the batch ran). Retry them, as with DynamoDB.
    public var unprocessedItems: [String: [WriteRequest]]
    /// Write capacity units per table (the table's and its indexes').
    public var consumedCapacity: [String: Double] { capacity.mapValues(\.total) }
    /// The units per table, split between the table and its indexes (`ReturnConsumedCapacity: INDEXES`).
    public var capacity: [String: ConsumedCapacity] = [:]
    /// With `returnItemCollectionMetrics: .size`: per table with local secondary indexes, the size
    /// of each item collection the batch wrote to.
    public var itemCollectionMetrics: [String: [ItemCollectionMetrics]] = [:]
}

extension Database {
    static let maxBatchWriteRequests = 25

    /// DynamoDB's BatchWriteItem: up to 25 puts and deletes over one or more tables.
    ///
    /// The whole request is validated before anything is written, so an invalid request writes
    /// nothing. The writes for one shard commit together or not at all; a shard that cannot apply
    /// its part returns it in `unprocessedItems` instead of failing the batch after others wrote.
    public func batchWriteItem(_ request: BatchWriteItemRequest) async throws(ShoalError) -> BatchWriteItemResponse {
        let total = request.requestItems.values.reduce(0) { $0 + $1.count }
        guard !request.requestItems.isEmpty, total >= 1 else {
            throw .validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
        }
        guard total <= Database.maxBatchWriteRequests else {
            throw .validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
        }
        var byShard: [Int: [(table: String, write: PreparedWrite, request: WriteRequest)]] = [:]
        var handles: [String: TableHandle] = [:]
        for (table, writes) in request.requestItems.sorted(by: { $0.key < $1.key }) {
            guard !writes.isEmpty else {
                throw .validation("1 validation error detected: Value '[]' at 'requestItems.\(table).member' failed to satisfy constraint: Member must have length greater than or equal to 1")
            }
            let handle = try handle(table)
            handles[table] = handle
            var seen = Set<ItemKey>()
            for write in writes {
                let prepared: PreparedWrite
                switch write {
                case .put(let item): prepared = .put(try PreparedPut(handle: handle, item: item))
                case .delete(let key): prepared = .delete(try PreparedDelete(handle: handle, key: key))
                }
                guard seen.insert(prepared.key).inserted else {
                    throw .validation("Provided list of item keys contains duplicates")
                }
                byShard[ring.shard(for: prepared.token), default: []].append((table, prepared, write))
            }
        }
        // Enforced capacity: a throttled table's writes come back unprocessed; all throttled is an error.
        var unprocessed: [String: [WriteRequest]] = [:]
        var draws: [String: [CapacityEnforcer.Draw]] = [:]
        if options.enforceCapacity {
            var throttled: ShoalError?
            for (table, handle) in handles.sorted(by: { $0.key < $1.key }) {
                do throws(ShoalError) {
                    draws[table] = try admitCapacity(handle, write: true)
                } catch {
                    throttled = error
                    unprocessed[table] = request.requestItems[table]
                }
            }
            if let throttled {
                guard unprocessed.count < handles.count else { throw throttled }
                byShard = byShard.mapValues { $0.filter { unprocessed[$0.table] == nil } }.filter { !$0.value.isEmpty }
            }
        }
        typealias ShardOutcome = Result<[String: ConsumedCapacity], any Error>
        let outcomes = await withTaskGroup(of: (Int, ShardOutcome).self) { group in
            for (index, writes) in byShard {
                let writer = shards[index].writer
                let prepared = writes.map { ($0.table, $0.write) }
                group.addTask {
                    do {
                        let units = try await writer.perform { context in
                            var units: [String: ConsumedCapacity] = [:]
                            for (table, write) in prepared { units[table, default: ConsumedCapacity()].add(try write.apply(in: context)) }
                            return units
                        }
                        return (index, .success(units))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var all: [(Int, ShardOutcome)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        var consumed: [String: ConsumedCapacity] = [:]
        var firstError: (any Error)?
        for (index, outcome) in outcomes {
            switch outcome {
            case .success(let units):
                consumed.merge(units) { a, b in
                    var sum = a
                    sum.add(b)
                    return sum
                }
            case .failure(let error):
                firstError = firstError ?? error
                for entry in byShard[index]! { unprocessed[entry.table, default: []].append(entry.request) }
            }
        }
        // Nothing was written: report the error itself rather than an all-unprocessed batch.
        if let firstError, consumed.isEmpty {
            throw (firstError as? ShoalError) ?? .internalError("Internal error: \(firstError)")
        }
        for (table, units) in consumed { chargeCapacity(draws[table] ?? [], handles[table]!, write: true, units) }
        var response = BatchWriteItemResponse(unprocessedItems: unprocessed, capacity: consumed)
        if request.returnItemCollectionMetrics == .size {
            response.itemCollectionMetrics = try batchCollectionMetrics(outcomes: outcomes, byShard: byShard, handles: handles)
        }
        return response
    }

    /// The item collection metrics of every partition a batch wrote to, per table with local indexes.
    private func batchCollectionMetrics(outcomes: [(Int, Result<[String: ConsumedCapacity], any Error>)],
                                        byShard: [Int: [(table: String, write: PreparedWrite, request: WriteRequest)]],
                                        handles: [String: TableHandle]) throws(ShoalError) -> [String: [ItemCollectionMetrics]] {
        var partitions: [String: [AttributeValue]] = [:]
        for (index, outcome) in outcomes.sorted(by: { $0.0 < $1.0 }) {
            guard case .success = outcome else { continue }
            for entry in byShard[index]! where !(partitions[entry.table]?.contains(entry.write.key.partition) ?? false) {
                partitions[entry.table, default: []].append(entry.write.key.partition)
            }
        }
        var metrics: [String: [ItemCollectionMetrics]] = [:]
        for (table, values) in partitions {
            for partition in values {
                guard let m = try itemCollectionMetrics(handles[table]!, partition: partition) else { break }
                metrics[table, default: []].append(m)
            }
        }
        return metrics
    }
}

/// A validated put or delete of a batch.
enum PreparedWrite: Sendable {
    case put(PreparedPut)
    case delete(PreparedDelete)

    var tableID: String {
        switch self {
        case .put(let p): return p.tableID
        case .delete(let d): return d.tableID
        }
    }

    var token: UInt64 {
        switch self {
        case .put(let p): return p.token
        case .delete(let d): return d.token
        }
    }

    var key: ItemKey {
        switch self {
        case .put(let p): return p.key
        case .delete(let d): return d.key
        }
    }

    /// Applies the write. - Returns: the capacity it consumed.
    func apply(in context: WriteContext) throws -> ConsumedCapacity {
        switch self {
        case .put(let p): return try p.apply(in: context, returningOld: false).capacity
        case .delete(let d): return try d.apply(in: context, returningOld: false).capacity
        }
    }
}
