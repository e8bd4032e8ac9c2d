import LMDB

public struct PutItemRequest: ConditionalWriteRequest, Sendable, Hashable {
    public var tableName: String
    public var item: Item
    /// `.size`: report the size of the item's collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics = .none
    public var returnValues: ReturnValue
    /// The condition and its placeholders (also readable and writable as this request's members).
    public var conditions: ConditionMembers
    /// A PartiQL INSERT: an item with the same key fails with DuplicateItemException.
    var insertOnly = false

    public init(tableName: String, item: Item, returnValues: ReturnValue = .none, conditionExpression: String? = nil,
                condition: Condition? = nil, expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, expected: [AttributeName: ExpectedAttributeValue]? = nil,
                conditionalOperator: ConditionalOperator? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.item = item
        self.returnValues = returnValues
        conditions = ConditionMembers(conditionExpression: conditionExpression, condition: condition, expressionAttributeNames: expressionAttributeNames,
                                      expressionAttributeValues: expressionAttributeValues, expected: expected,
                                      conditionalOperator: conditionalOperator, returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure)
    }
}

public struct PutItemResponse: Sendable, Equatable {
    /// The replaced item, with `ReturnValues: ALL_OLD`.
    public var attributes: Item?
    /// Write capacity units by DynamoDB's rules (`ReturnConsumedCapacity`).
    public var consumedCapacity: Double { capacity.total }
    /// The units split between the table and its indexes (`ReturnConsumedCapacity: INDEXES`).
    public var capacity = ConsumedCapacity()
    /// With `returnItemCollectionMetrics: .size` on a table with local secondary indexes: the
    /// size of the written item's collection.
    public var itemCollectionMetrics: ItemCollectionMetrics?
}

extension Database {
    /// DynamoDB's PutItem: creates or replaces the whole item, optionally only if a condition holds.
    /// - Throws: `ValidationException` for an invalid item, key or expression, `ConditionalCheckFailedException`
    ///   when the condition is false, `ResourceNotFoundException` for a missing table.
    public func putItem(_ request: PutItemRequest) async throws(ShoalError) -> PutItemResponse {
        guard request.returnValues == .none || request.returnValues == .allOld else {
            throw .validation("ReturnValues can only be ALL_OLD or NONE")
        }
        let handle = try handle(request.tableName)
        var write = try PreparedPut(handle: handle, item: request.item)
        write.condition = try request.conditions.resolve()
        write.returnOldOnFailure = request.conditions.returnsOldOnFailure
        write.insertOnly = request.insertOnly
        let (prepared, wantOld) = (write, request.returnValues == .allOld)
        let (outcome, metrics) = try await writeSingleItem(prepared, of: handle, collectionMetrics: request.returnItemCollectionMetrics) { context in
            try prepared.apply(in: context, returningOld: wantOld)
        }
        return PutItemResponse(attributes: outcome.item, capacity: outcome.capacity, itemCollectionMetrics: metrics)
    }
}

/// A validated put, ready to run on the item's shard writer.
struct PreparedPut: Sendable {
    let tableID: String
    let schema: PrimaryKey
    let key: ItemKey
    let encodedKey: [UInt8]
    /// The partition token, which picks the shard.
    let token: UInt64
    let item: Item
    let value: [UInt8]
    let size: Int
    /// Checked against the current item before writing.
    var condition: Condition?
    var returnOldOnFailure = false
    /// Fails with DuplicateItemException when the key holds an item (a PartiQL INSERT).
    var insertOnly = false

    init(handle: TableHandle, item: Item) throws(ShoalError) {
        size = try ItemValidation.validate(item: item)
        tableID = handle.definition.id
        schema = handle.key
        key = try schema.key(ofItem: item)
        for rules in handle.indexRules { try rules.validate(item) }
        (token, encodedKey) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
        self.item = item
        value = ShardLayout.encodeValue(item: item, size: size)
    }

    /// Writes the item; returns the item it replaced (when asked) and the capacity consumed.
    func apply(in context: WriteContext, returningOld: Bool) throws -> WriteOutcome {
        let table = try context.table(tableID)
        let new = NewItem(item: item, value: value, size: size)
        guard condition != nil || insertOnly || table.needsOldImage else {
            // A new key is written in one descent; a replaced one is inspected after (a digest
            // collision throws, and the unit's log puts the other item back).
            guard let old = try context.replaceItem(table, tableID: tableID, key: encodedKey, new: new) else {
                return WriteOutcome(item: nil, tableBytes: size)
            }
            let found = try StoredItem.inspect(old, key: encodedKey, expecting: key, schema: schema, decode: returningOld, forWrite: true)
            return WriteOutcome(item: found?.item, tableBytes: max(size, found?.size ?? 0))
        }
        let old = try StoredItem.readOld(table, key: encodedKey, expecting: key, schema: schema, in: context)
        if insertOnly && old != nil { throw PartiQLError.duplicateItem }
        if let condition, !ConditionEvaluator.evaluate(condition, on: old?.item) {
            throw ShoalError.conditionalCheckFailed(item: returnOldOnFailure ? old?.item : nil)
        }
        let indexes = try context.writeItem(table, tableID: tableID, key: encodedKey, old: old, new: new, origin: .client)
        return WriteOutcome(item: returningOld ? old?.item : nil, tableBytes: max(size, old?.size ?? 0), indexes: indexes)
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
        return try inspect(bytes, key: key, expecting: expected, schema: schema, decode: decode, forWrite: forWrite)
    }

    /// The item stored under `key` as a view over its bytes (checked, not decoded), with its
    /// stored size; a different item whose key shares the digest counts as absent.
    static func readEncoded(_ db: LMDB.Database, key: [UInt8], expecting expected: ItemKey, schema: PrimaryKey,
                            in txn: Transaction) throws -> (item: EncodedItem, size: Int)? {
        guard let bytes = try txn.get(db, key: key) else { return nil }
        var reader = ByteReader(bytes)
        let size = try reader.varint()
        let item = try EncodedItem.checked(bytes, from: reader.offset)
        if KeyEncoding.containsDigest(key), try item.key(schema) != expected { return nil }
        return (item, size)
    }

    /// The same on a shard writer, seeing the group's earlier writes.
    static func read(_ db: LMDB.Database, key: [UInt8], expecting expected: ItemKey, schema: PrimaryKey,
                     in context: WriteContext, decode: Bool, forWrite: Bool = true) throws -> Found? {
        guard let bytes = try context.get(db, key: key) else { return nil }
        return try inspect(bytes, key: key, expecting: expected, schema: schema, decode: decode, forWrite: forWrite)
    }

    /// The decoded item a write replaces, read on the shard writer.
    static func readOld(_ table: TableStorage, key: [UInt8], expecting expected: ItemKey, schema: PrimaryKey,
                        in context: WriteContext) throws -> OldItem? {
        guard let found = try read(table.items, key: key, expecting: expected, schema: schema, in: context, decode: true),
              let item = found.item else { return nil }
        return OldItem(item: item, size: found.size)
    }

    /// Checks and (when asked) decodes a stored value found under `key`.
    static func inspect(_ bytes: [UInt8], key: [UInt8], expecting expected: ItemKey, schema: PrimaryKey,
                        decode: Bool, forWrite: Bool) throws -> Found? {
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
