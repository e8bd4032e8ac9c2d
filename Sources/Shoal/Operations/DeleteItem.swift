public struct DeleteItemRequest: ConditionalWriteRequest, Sendable, Hashable {
    public var tableName: String
    public var key: Item
    /// `.size`: report the size of the item's collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics = .none
    public var returnValues: ReturnValue
    /// The condition and its placeholders (also readable and writable as this request's members).
    public var conditions: ConditionMembers

    public init(tableName: String, key: Item, returnValues: ReturnValue = .none, conditionExpression: String? = nil,
                condition: Condition? = nil, expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, expected: [AttributeName: ExpectedAttributeValue]? = nil,
                conditionalOperator: ConditionalOperator? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.key = key
        self.returnValues = returnValues
        conditions = ConditionMembers(conditionExpression: conditionExpression, condition: condition, expressionAttributeNames: expressionAttributeNames,
                                      expressionAttributeValues: expressionAttributeValues, expected: expected,
                                      conditionalOperator: conditionalOperator, returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure)
    }
}

public struct DeleteItemResponse: Sendable, Equatable {
    /// The deleted item, with `ReturnValues: ALL_OLD` (nil when there was none).
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
    /// DynamoDB's DeleteItem, optionally only if a condition holds. Deleting an absent item succeeds.
    public func deleteItem(_ request: DeleteItemRequest) async throws(ShoalError) -> DeleteItemResponse {
        guard request.returnValues == .none || request.returnValues == .allOld else {
            throw .validation("ReturnValues can only be ALL_OLD or NONE")
        }
        let handle = try handle(request.tableName)
        var delete = try PreparedDelete(handle: handle, key: request.key)
        delete.condition = try request.conditions.resolve()
        delete.returnOldOnFailure = request.conditions.returnsOldOnFailure
        let (prepared, wantOld) = (delete, request.returnValues == .allOld)
        let (outcome, metrics) = try await writeSingleItem(prepared, of: handle, collectionMetrics: request.returnItemCollectionMetrics) { context in
            try prepared.apply(in: context, returningOld: wantOld)
        }
        return DeleteItemResponse(attributes: outcome.item, capacity: outcome.capacity, itemCollectionMetrics: metrics)
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

    var condition: Condition?
    var returnOldOnFailure = false

    init(handle: TableHandle, key: Item) throws(ShoalError) {
        tableID = handle.definition.id
        schema = handle.key
        self.key = try schema.key(fromKey: key)
        (token, encodedKey) = KeyEncoding.encode(partition: self.key.partition, sort: self.key.sort)
    }

    /// Deletes the item; returns it (when asked) and the capacity consumed.
    func apply(in context: WriteContext, returningOld: Bool) throws -> WriteOutcome {
        let table = try context.table(tableID)
        let old = try StoredItem.read(table.items, key: encodedKey, expecting: key, schema: schema, in: context,
                                      decode: returningOld || condition != nil || table.needsOldImage, forWrite: false)
        if let condition, !ConditionEvaluator.evaluate(condition, on: old?.item) {
            throw ShoalError.conditionalCheckFailed(item: returnOldOnFailure ? old?.item : nil)
        }
        guard let old else { return WriteOutcome(item: nil, tableBytes: 0) }
        var indexes = ConsumedCapacity()
        if let item = old.item {
            indexes = try context.writeItem(table, tableID: tableID, key: encodedKey, old: OldItem(item: item, size: old.size), new: nil,
                                            origin: .client)
        } else {
            try context.removeItem(table, tableID: tableID, key: encodedKey, size: old.size, origin: .client)
        }
        return WriteOutcome(item: returningOld ? old.item : nil, tableBytes: old.size, indexes: indexes)
    }
}
