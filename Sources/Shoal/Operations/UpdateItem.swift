public struct UpdateItemRequest: ConditionalWriteRequest, Sendable, Hashable {
    public var tableName: String
    public var key: Item
    /// `.size`: report the size of the item's collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics = .none
    /// `SET`, `REMOVE`, `ADD` and `DELETE` clauses.
    public var updateExpression: String?
    /// The same as a typed value (its actions are added to those of `updateExpression`).
    public var update: UpdateExpression?
    /// Legacy updates; cannot be combined with expressions.
    public var attributeUpdates: [AttributeName: AttributeValueUpdate]?
    public var returnValues: ReturnValue
    /// The condition and the placeholders (which the update expression shares), also readable and
    /// writable as this request's members.
    public var conditions: ConditionMembers

    public init(tableName: String, key: Item, updateExpression: String? = nil, update: UpdateExpression? = nil,
                conditionExpression: String? = nil, condition: Condition? = nil,
                expressionAttributeNames: [String: String]? = nil, expressionAttributeValues: [String: AttributeValue]? = nil,
                attributeUpdates: [AttributeName: AttributeValueUpdate]? = nil, expected: [AttributeName: ExpectedAttributeValue]? = nil,
                conditionalOperator: ConditionalOperator? = nil, returnValues: ReturnValue = .none,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.key = key
        self.updateExpression = updateExpression
        self.update = update
        self.attributeUpdates = attributeUpdates
        self.returnValues = returnValues
        conditions = ConditionMembers(conditionExpression: conditionExpression, condition: condition, expressionAttributeNames: expressionAttributeNames,
                                      expressionAttributeValues: expressionAttributeValues, expected: expected,
                                      conditionalOperator: conditionalOperator, returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure)
    }
}

public struct UpdateItemResponse: Sendable, Equatable {
    /// What `ReturnValues` asked for (nil for NONE, or when there is nothing to return).
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
    /// DynamoDB's UpdateItem: edits an item in place, creating it when absent (upsert), optionally
    /// only if a condition holds.
    /// - Throws: `ValidationException` for an invalid key or expression (or an update that
    ///   cannot apply to the item), `ConditionalCheckFailedException` when the condition is false.
    public func updateItem(_ request: UpdateItemRequest) async throws(ShoalError) -> UpdateItemResponse {
        let handle = try handle(request.tableName)
        let prepared = try PreparedUpdate(handle: handle, request: request)
        let (outcome, metrics) = try await writeSingleItem(prepared, of: handle, collectionMetrics: request.returnItemCollectionMetrics) { context in
            try prepared.apply(in: context)
        }
        return UpdateItemResponse(attributes: outcome.item, capacity: outcome.capacity, itemCollectionMetrics: metrics)
    }
}

/// A validated update, ready to run on the item's shard writer.
struct PreparedUpdate: Sendable {
    let tableID: String
    let schema: PrimaryKey
    let key: ItemKey
    let keyItem: Item
    let encodedKey: [UInt8]
    let token: UInt64
    let update: UpdateExpression
    let condition: Condition?
    let returnValues: ReturnValue
    let returnOldOnFailure: Bool
    /// From legacy `AttributeUpdates`, whose type errors DynamoDB words differently.
    let isLegacy: Bool

    init(handle: TableHandle, request: UpdateItemRequest) throws(ShoalError) {
        tableID = handle.definition.id
        schema = handle.key
        key = try schema.key(fromKey: request.key)
        keyItem = key.asItem(schema)
        (token, encodedKey) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
        returnValues = request.returnValues
        returnOldOnFailure = request.conditions.returnsOldOnFailure

        let usesExpressions = request.updateExpression != nil || request.conditionExpression != nil
        try LegacyParameters.checkNotMixed(
            legacy: [("AttributeUpdates", request.attributeUpdates != nil), ("Expected", request.expected != nil),
                     ("ConditionalOperator", request.conditionalOperator != nil)],
            expressions: [("UpdateExpression", request.updateExpression != nil), ("ConditionExpression", request.conditionExpression != nil)])
        var input = try ExpressionInput(names: request.expressionAttributeNames, values: request.expressionAttributeValues,
                                        usesExpressions: usesExpressions)
        var update = try input.update(request.updateExpression) ?? UpdateExpression()
        if let typed = request.update {
            update.set += typed.set
            update.remove += typed.remove
            update.add += typed.add
            update.delete += typed.delete
            try ExpressionChecks.check(update)
        }
        if let legacy = request.attributeUpdates {
            update = try LegacyParameters.update(legacy)
        }
        isLegacy = request.attributeUpdates != nil
        condition = try request.conditions.resolve(&input)
        try input.finish()
        for path in update.paths where schema.names.contains(path.attribute) {
            throw .invalidParameter("Cannot update attribute \(path.attribute). This attribute is part of the key")
        }
        self.update = update
    }

    func applyUpdate(to old: Item?) throws(ShoalError) -> Item {
        do {
            return try UpdateApplier.apply(update, to: old, key: keyItem)
        } catch {
            if isLegacy && error == UpdateApplier.incorrectType { throw .invalidParameter("Type mismatch for attribute to update") }
            throw error
        }
    }

    /// Reads the current item, checks the condition, applies the update, writes the result.
    /// - Returns: what `ReturnValues` asks for, and the capacity consumed (the table's by the larger
    ///   of the old and new sizes).
    func apply(in context: WriteContext) throws -> WriteOutcome {
        let table = try context.table(tableID)
        let old = try StoredItem.readOld(table, key: encodedKey, expecting: key, schema: schema, in: context)
        if let condition, !ConditionEvaluator.evaluate(condition, on: old?.item) {
            throw ShoalError.conditionalCheckFailed(item: returnOldOnFailure ? old?.item : nil)
        }
        // On a missing item, an update that only removes creates nothing (as DynamoDB).
        if old == nil && update.set.isEmpty && update.add.isEmpty && !(update.remove.isEmpty && update.delete.isEmpty) {
            return WriteOutcome(item: nil, tableBytes: 0)
        }
        let new = try applyUpdate(to: old?.item)
        let size = ItemValidation.size(of: new)
        if size > ItemValidation.maxItemSize {
            throw ShoalError.validation("Item size to update has exceeded the maximum allowed size")
        }
        try ItemValidation.validate(item: new)
        let indexes = try context.writeItem(table, tableID: tableID, key: encodedKey, old: old, new: NewItem(new, size: size), origin: .client)
        let bytes = max(size, old?.size ?? 0)
        let attributes: Item?
        switch returnValues {
        case .none: attributes = nil
        case .allOld: attributes = old?.item
        case .allNew: attributes = new
        case .updatedOld, .updatedNew:
            let source = returnValues == .updatedOld ? (old?.item ?? [:]) : new
            let projected = Projection.apply(update.paths, to: source)
            attributes = projected.isEmpty ? nil : projected
        }
        return WriteOutcome(item: attributes, tableBytes: bytes, indexes: indexes)
    }
}
