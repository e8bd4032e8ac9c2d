public struct KeysAndAttributes: Sendable, Equatable {
    public var keys: [Item]
    public var consistentRead: Bool

    public init(keys: [Item], consistentRead: Bool = false) {
        self.keys = keys
        self.consistentRead = consistentRead
    }
}

public struct BatchGetItemRequest: Sendable {
    public var requestItems: [String: KeysAndAttributes]

    public init(requestItems: [String: KeysAndAttributes]) { self.requestItems = requestItems }
}

public struct BatchGetItemResponse: Sendable, Equatable {
    /// Found items per table (absent keys are simply missing).
    public var responses: [String: [Item]]
    /// Keys left for a later call because the response reached 16 MB.
    public var unprocessedKeys: [String: KeysAndAttributes]
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
        var plan: [(table: String, handle: TableHandle, keys: [(original: Item, key: ItemKey)])] = []
        for (table, entry) in request.requestItems.sorted(by: { $0.key < $1.key }) {
            guard !entry.keys.isEmpty else {
                throw .validation("1 validation error detected: Value '[]' at 'requestItems.\(table).member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
            }
            let handle = try handle(table)
            var seen = Set<ItemKey>()
            var keys: [(Item, ItemKey)] = []
            for original in entry.keys {
                let key = try handle.key.key(fromKey: original)
                guard seen.insert(key).inserted else {
                    throw .validation("Provided list of item keys contains duplicates")
                }
                keys.append((original, key))
            }
            plan.append((table, handle, keys))
        }
        var responses: [String: [Item]] = [:]
        var unprocessed: [String: KeysAndAttributes] = [:]
        var bytes = 0
        for (table, handle, keys) in plan {
            var found: [Item] = []
            for (original, key) in keys {
                if bytes >= Database.maxBatchGetResponseBytes {
                    unprocessed[table, default: KeysAndAttributes(keys: [], consistentRead: request.requestItems[table]!.consistentRead)].keys.append(original)
                    continue
                }
                if let item = try readItem(handle, key: key) {
                    bytes += ItemValidation.size(of: item)
                    found.append(item)
                }
            }
            responses[table] = found
        }
        return BatchGetItemResponse(responses: responses, unprocessedKeys: unprocessed)
    }
}
