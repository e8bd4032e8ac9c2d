public struct GetItemRequest: Sendable {
    public var tableName: String
    public var key: Item
    /// Accepted for compatibility: every Shoal read is strongly consistent.
    public var consistentRead: Bool

    public init(tableName: String, key: Item, consistentRead: Bool = false) {
        self.tableName = tableName
        self.key = key
        self.consistentRead = consistentRead
    }
}

public struct GetItemResponse: Sendable, Equatable {
    /// The item, or `nil` when there is none with that key.
    public var item: Item?
}

extension Database {
    /// DynamoDB's GetItem: one item by its full primary key, from the latest committed state.
    /// - Throws: `ValidationException` when `key` is not exactly the table's key, `ResourceNotFoundException` for a missing table.
    public func getItem(_ request: GetItemRequest) async throws(ShoalError) -> GetItemResponse {
        let handle = try handle(request.tableName)
        let key = try handle.key.key(fromKey: request.key)
        return GetItemResponse(item: try readItem(handle, key: key))
    }

    /// Reads one item in a short read transaction of its shard.
    func readItem(_ handle: TableHandle, key: ItemKey) throws(ShoalError) -> Item? {
        let (token, encoded) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
        let shard = shards[ring.shard(for: token)]
        return try runSync {
            try shard.environment.read { txn in
                try StoredItem.read(handle.databases[shard.index], key: encoded, expecting: key, schema: handle.key,
                                    in: txn, decode: true, forWrite: false)?.item
            }
        }
    }
}
