public struct KeysAndAttributes: Sendable, Equatable {
    public var keys: [Item]
    public var consistentRead: Bool
    public var projectionExpression: String?
    public var expressionAttributeNames: [String: String]?
    public var attributesToGet: [String]?

    public init(keys: [Item], consistentRead: Bool = false, projectionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil, attributesToGet: [String]? = nil) {
        self.keys = keys
        self.consistentRead = consistentRead
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.attributesToGet = attributesToGet
    }
}

public struct BatchGetItemRequest: Sendable {
    public var requestItems: [String: KeysAndAttributes]

    public init(requestItems: [String: KeysAndAttributes]) { self.requestItems = requestItems }
}

public struct BatchGetItemResponse: Sendable, Equatable {
    /// Found items per table (absent keys are simply missing).
    public var responses: [String: [LazyItem]]
    /// Keys left for a later call because the response reached 16 MB.
    public var unprocessedKeys: [String: KeysAndAttributes]
    /// Read capacity units per table.
    public var consumedCapacity: [String: Double] = [:]
}

extension Database {
    static let maxBatchGetKeys = 100
    static let maxBatchGetResponseBytes = 16 * 1024 * 1024

    /// DynamoDB's BatchGetItem: up to 100 keys over one or more tables.
    /// - Throws: `ValidationException` for more than 100 keys, duplicates or invalid keys;
    ///   `ResourceNotFoundException` when a table is missing. Nothing is read then.
    public func batchGetItem(_ request: BatchGetItemRequest) async throws(ShoalError) -> BatchGetItemResponse {
        guard !request.requestItems.isEmpty else {
            throw .validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        let total = request.requestItems.values.reduce(0) { $0 + $1.keys.count }
        guard total <= Database.maxBatchGetKeys else {
            throw .validation("Too many items requested for the BatchGetItem call")
        }
        var plan: [(table: String, handle: TableHandle, keys: [(original: Item, key: ItemKey)], projection: [DocumentPath]?)] = []
        for (table, entry) in request.requestItems.sorted(by: { $0.key < $1.key }) {
            guard !entry.keys.isEmpty else {
                throw .validation("1 validation error detected: Value '[]' at 'requestItems.\(table).member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
            }
            let handle = try handle(table)
            var input = try ExpressionInput(names: entry.expressionAttributeNames, values: nil,
                                            usesExpressions: entry.projectionExpression != nil)
            let projection = try ProjectionParameters(expression: entry.projectionExpression, typed: nil,
                                                      attributesToGet: entry.attributesToGet).resolve(&input)
            try input.finish()
            var seen = Set<ItemKey>()
            var keys: [(Item, ItemKey)] = []
            for original in entry.keys {
                let key = try handle.key.key(fromKey: original)
                guard seen.insert(key).inserted else {
                    throw .validation("Provided list of item keys contains duplicates")
                }
                keys.append((original, key))
            }
            plan.append((table, handle, keys, projection))
        }
        // Enforced capacity: a throttled table's keys come back unprocessed; all throttled is an error.
        var unprocessed: [String: KeysAndAttributes] = [:]
        var draws: [String: [CapacityEnforcer.Draw]] = [:]
        var throttled: ShoalError?
        if options.enforceCapacity {
            plan = plan.filter { entry in
                do throws(ShoalError) {
                    draws[entry.table] = try admitCapacity(entry.handle, write: false)
                    return true
                } catch {
                    throttled = error
                    unprocessed[entry.table] = request.requestItems[entry.table]!
                    return false
                }
            }
            if plan.isEmpty, let throttled { throw throttled }
        }
        // One snapshot of every shard involved, opened at once: no transaction is half seen.
        var involved = Set<Int>()
        for entry in plan { for (_, key) in entry.keys { involved.insert(ring.shard(for: KeyEncoding.token(key.partition))) } }
        let shardIndexes = involved.sorted()
        var responses: [String: [LazyItem]] = [:]
        var consumed: [String: Double] = [:]
        try runSync {
            try withSnapshots(ArraySlice(shardIndexes.map { shards[$0] })) { txns in
                var bytes = 0
                for (table, handle, keys, projection) in plan {
                    let consistent = request.requestItems[table]!.consistentRead
                    var found: [LazyItem] = []
                    for (original, key) in keys {
                        if bytes >= Database.maxBatchGetResponseBytes {
                            var pending = unprocessed[table] ?? request.requestItems[table]!
                            if unprocessed[table] == nil { pending.keys = [] }
                            pending.keys.append(original)
                            unprocessed[table] = pending
                            continue
                        }
                        let (token, encoded) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
                        let shard = ring.shard(for: token)
                        let stored = try StoredItem.readEncoded(handle.items(shard), key: encoded, expecting: key, schema: handle.key,
                                                                in: txns[shardIndexes.firstIndex(of: shard)!])
                        let size = stored?.size ?? 0
                        consumed[table, default: 0] += CapacityUnits.read(bytes: size, consistent: consistent)
                        if let item = stored?.item {
                            bytes += size
                            found.append(LazyItem(item, projection: projection))
                        }
                    }
                    responses[table] = found
                }
            }
        }
        for entry in plan { chargeCapacity(draws[entry.table] ?? [], entry.handle, write: false, ConsumedCapacity(table: consumed[entry.table] ?? 0)) }
        return BatchGetItemResponse(responses: responses, unprocessedKeys: unprocessed, consumedCapacity: consumed)
    }
}
