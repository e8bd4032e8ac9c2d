import Shoal

/// PutItem, GetItem, UpdateItem and DeleteItem.
struct ItemOperations: Sendable {
    let database: Database

    private func capacityMode(_ r: RequestReader) throws(ProtocolError) -> ReturnConsumedCapacity? {
        try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
    }

    private func metricsMode(_ r: RequestReader) throws(ProtocolError) -> ReturnItemCollectionMetrics {
        try r.enumeration("ReturnItemCollectionMetrics", ReturnItemCollectionMetrics.self) ?? .none
    }

    private func response(attributes: Item?, capacity: ConsumedCapacity, table: String, mode: ReturnConsumedCapacity?,
                          metrics: ItemCollectionMetrics? = nil, attributesKey: String = "Attributes") -> JSONValue {
        response(attributes: attributes.map(LazyItem.init), capacity: capacity, table: table, mode: mode, metrics: metrics,
                 attributesKey: attributesKey)
    }

    private func response(attributes: LazyItem?, capacity: ConsumedCapacity, table: String, mode: ReturnConsumedCapacity?,
                          metrics: ItemCollectionMetrics? = nil, attributesKey: String = "Attributes") -> JSONValue {
        var members: [(String, JSONValue)] = []
        // Rendered straight from the stored bytes when the item is still them.
        if let attributes { members.append((attributesKey, .item(attributes))) }
        if let c = ResponseJSON.capacity(capacity, table: table, mode: mode) { members.append(("ConsumedCapacity", c)) }
        if let metrics { members.append(("ItemCollectionMetrics", ResponseJSON.collectionMetrics(metrics))) }
        return .object(members)
    }

    func putItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let conditions = try r.conditionMembers(legacy: true)
        var request = PutItemRequest(tableName: table, item: try r.requiredItem("Item"),
                                     returnValues: try r.enumeration("ReturnValues", ReturnValue.self) ?? .none)
        request.conditions = conditions
        request.returnItemCollectionMetrics = try metricsMode(r)
        let mode = try capacityMode(r)
        let result = try await engine { [request] () async throws(ShoalError) in try await database.putItem(request) }
        return response(attributes: result.attributes, capacity: result.capacity, table: table, mode: mode, metrics: result.itemCollectionMetrics)
    }

    func getItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let request = GetItemRequest(
            tableName: table, key: try r.requiredItem("Key"), consistentRead: try r.bool("ConsistentRead") ?? false,
            projectionExpression: try r.string("ProjectionExpression"),
            expressionAttributeNames: try r.stringMap("ExpressionAttributeNames"),
            attributesToGet: try r.stringArray("AttributesToGet"))
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.getItem(request) }
        return response(attributes: result.item, capacity: ConsumedCapacity(table: result.consumedCapacity), table: table, mode: mode, attributesKey: "Item")
    }

    func updateItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let conditions = try r.conditionMembers(legacy: true)
        var request = UpdateItemRequest(tableName: table, key: try r.requiredItem("Key"), updateExpression: try r.string("UpdateExpression"),
                                        attributeUpdates: try r.attributeUpdates(),
                                        returnValues: try r.enumeration("ReturnValues", ReturnValue.self) ?? .none)
        request.conditions = conditions
        request.returnItemCollectionMetrics = try metricsMode(r)
        let mode = try capacityMode(r)
        let result = try await engine { [request] () async throws(ShoalError) in try await database.updateItem(request) }
        return response(attributes: result.attributes, capacity: result.capacity, table: table, mode: mode, metrics: result.itemCollectionMetrics)
    }

    func deleteItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let conditions = try r.conditionMembers(legacy: true)
        var request = DeleteItemRequest(tableName: table, key: try r.requiredItem("Key"),
                                        returnValues: try r.enumeration("ReturnValues", ReturnValue.self) ?? .none)
        request.conditions = conditions
        request.returnItemCollectionMetrics = try metricsMode(r)
        let mode = try capacityMode(r)
        let result = try await engine { [request] () async throws(ShoalError) in try await database.deleteItem(request) }
        return response(attributes: result.attributes, capacity: result.capacity, table: table, mode: mode, metrics: result.itemCollectionMetrics)
    }
}

/// The condition and placeholder members PutItem, UpdateItem and DeleteItem share.
extension RequestReader {
    /// The members of a conditional write (``ConditionMembers``); `legacy`: `Expected` and
    /// `ConditionalOperator` too (single-item writes; a transaction's actions have none).
    func conditionMembers(legacy: Bool) throws(ProtocolError) -> ConditionMembers {
        ConditionMembers(conditionExpression: try string("ConditionExpression"),
                         expressionAttributeNames: try stringMap("ExpressionAttributeNames"),
                         expressionAttributeValues: try attributeValueMap("ExpressionAttributeValues"),
                         expected: legacy ? try expected() : nil,
                         conditionalOperator: legacy ? try enumeration("ConditionalOperator", ConditionalOperator.self) : nil,
                         returnValuesOnConditionCheckFailure: try enumeration("ReturnValuesOnConditionCheckFailure", ReturnValuesOnConditionCheckFailure.self))
    }
}
