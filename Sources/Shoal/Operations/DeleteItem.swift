public struct DeleteItemRequest: Sendable {
    public var tableName: String
    public var key: Item
    public var returnValues: ReturnValue

    public init(tableName: String, key: Item, returnValues: ReturnValue = .none) {
        self.tableName = tableName
        self.key = key
        self.returnValues = returnValues
    }
}

public struct DeleteItemResponse: Sendable, Equatable {
    /// The deleted item, with `ReturnValues: ALL_OLD` (nil when there was none).
    public var attributes: Item?
}

extension Database {
    /// DynamoDB's DeleteItem. Deleting an absent item succeeds.
    public func deleteItem(_ request: DeleteItemRequest) async throws(ShoalError) -> DeleteItemResponse {
        guard request.returnValues == .none || request.returnValues == .allOld else {
            throw .validation("ReturnValues can only be ALL_OLD or NONE")
        }
        let handle = try handle(request.tableName)
        let delete = try PreparedDelete(handle: handle, key: request.key)
        let wantOld = request.returnValues == .allOld
        let old = try await run {
            try await shards[ring.shard(for: delete.token)].writer.perform { context in
                try delete.apply(in: context, returningOld: wantOld)
            }
        }
        return DeleteItemResponse(attributes: old)
    }
}

/// A validated delete, ready to run on the item's shard writer.
struct PreparedDelete: Sendable {
    let tableID: String
    let schema: PrimaryKey
    let key: ItemKey
    let encodedKey: [UInt8]
    /// The partition token, which picks the shard.
    let token: UInt64

    init(handle: TableHandle, key: Item) throws(ShoalError) {
        tableID = handle.definition.id
        schema = handle.key
        self.key = try schema.key(fromKey: key)
        (token, encodedKey) = KeyEncoding.encode(partition: self.key.partition, sort: self.key.sort)
    }

    func apply(in context: WriteContext, returningOld: Bool) throws -> Item? {
        let db = try context.items(tableID)
        guard let old = try StoredItem.read(db, key: encodedKey, expecting: key, schema: schema, in: context.transaction,
                                            decode: returningOld, forWrite: false) else { return nil }
        try context.transaction.delete(db, key: encodedKey)
        context.addSize(-old.size, table: tableID)
        return old.item
    }
}
