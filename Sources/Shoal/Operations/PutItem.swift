import LMDB

public struct PutItemRequest: Sendable {
    public var tableName: String
    public var item: Item
    public var returnValues: ReturnValue

    public init(tableName: String, item: Item, returnValues: ReturnValue = .none) {
        self.tableName = tableName
        self.item = item
        self.returnValues = returnValues
    }
}

public struct PutItemResponse: Sendable, Equatable {
    /// The replaced item, with `ReturnValues: ALL_OLD`.
    public var attributes: Item?
}

extension Database {
    /// DynamoDB's PutItem: creates or replaces the whole item.
    /// - Throws: `ValidationException` for an invalid item or key, `ResourceNotFoundException` for a missing table.
    public func putItem(_ request: PutItemRequest) async throws(ShoalError) -> PutItemResponse {
        guard request.returnValues == .none || request.returnValues == .allOld else {
            throw .validation("ReturnValues can only be ALL_OLD or NONE")
        }
        let handle = try handle(request.tableName)
        let write = try PreparedPut(handle: handle, item: request.item)
        let wantOld = request.returnValues == .allOld
        let old = try await run {
            try await shard(for: write.key.partition).writer.perform { context in
                try write.apply(in: context, returningOld: wantOld)
            }
        }
        return PutItemResponse(attributes: old)
    }
}

/// A validated put, ready to run on the item's shard writer.
struct PreparedPut: Sendable {
    let tableID: String
    let schema: PrimaryKey
    let key: ItemKey
    let encodedKey: [UInt8]
    let value: [UInt8]
    let size: Int

    init(handle: TableHandle, item: Item) throws(ShoalError) {
        try ItemValidation.validate(item: item)
        tableID = handle.definition.id
        schema = handle.key
        key = try schema.key(ofItem: item)
        encodedKey = KeyEncoding.itemKey(key)
        size = ItemValidation.size(of: item)
        value = ShardLayout.encodeValue(item: item, size: size)
    }

    /// Writes the item; returns the item it replaced when asked.
    func apply(in context: WriteContext, returningOld: Bool) throws -> Item? {
        let db = try context.items(tableID)
        let old = try StoredItem.read(db, key: encodedKey, expecting: key, schema: schema, in: context.transaction, decode: returningOld)
        try context.transaction.put(db, key: encodedKey, value: value)
        context.addSize(size - (old?.size ?? 0), table: tableID)
        return old?.item
    }
}

/// Reading one stored item by its encoded key, checking the full key where the stored key holds
/// only a digest of it.
enum StoredItem {
    struct Found {
        var item: Item?
        var size: Int
    }

    /// The item stored under `key`, decoded only when `decode` (or when its key must be checked).
    /// A different item whose key shares the digest counts as absent for reads; a write throws.
    static func read(_ db: LMDB.Database, key: [UInt8], expecting expected: ItemKey, schema: PrimaryKey,
                     in txn: Transaction, decode: Bool, forWrite: Bool = true) throws -> Found? {
        guard let bytes = try txn.get(db, key: key) else { return nil }
        let digested = KeyEncoding.containsDigest(key)
        if !decode && !digested {
            return Found(item: nil, size: try ShardLayout.storedSize(bytes))
        }
        let (item, size) = try ShardLayout.decodeValue(bytes)
        if digested, try schema.key(ofItem: item) != expected {
            if forWrite {
                throw ShoalError.internalError("Two different keys share a stored key digest; refusing to overwrite")
            }
            return nil
        }
        return Found(item: decode ? item : nil, size: size)
    }
}
