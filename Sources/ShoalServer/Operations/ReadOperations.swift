import Shoal

/// Query and Scan.
struct ReadOperations: Sendable {
    let database: Database

    private func page(items: [LazyItem], count: Int, scanned: Int, last: Item?, capacity: ConsumedCapacity, table: String,
                      mode: ReturnConsumedCapacity?, countOnly: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if !countOnly { members.append(("Items", ResponseJSON.items(items))) }
        members.append(("Count", ResponseJSON.number(count)))
        members.append(("ScannedCount", ResponseJSON.number(scanned)))
        if let last { members.append(("LastEvaluatedKey", AttributeValueJSON.encode(last))) }
        if let c = ResponseJSON.capacity(capacity, table: table, mode: mode) { members.append(("ConsumedCapacity", c)) }
        return .object(members)
    }

    func query(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let select = try r.enumeration("Select", Select.self)
        let request = QueryRequest(
            tableName: table,
            keyConditionExpression: try r.string("KeyConditionExpression"),
            keyConditions: try r.legacyConditions("KeyConditions"),
            filterExpression: try r.string("FilterExpression"),
            queryFilter: try r.legacyConditions("QueryFilter"),
            conditionalOperator: try r.enumeration("ConditionalOperator", ConditionalOperator.self),
            projectionExpression: try r.string("ProjectionExpression"),
            attributesToGet: try r.stringArray("AttributesToGet"),
            expressionAttributeNames: try r.stringMap("ExpressionAttributeNames"),
            expressionAttributeValues: try r.attributeValueMap("ExpressionAttributeValues"),
            scanIndexForward: try r.bool("ScanIndexForward") ?? true,
            limit: try r.int("Limit"),
            exclusiveStartKey: try r.item("ExclusiveStartKey"),
            select: select,
            consistentRead: try r.bool("ConsistentRead") ?? false,
            indexName: try r.string("IndexName"))
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.query(request) }
        return page(items: result.items, count: result.count, scanned: result.scannedCount, last: result.lastEvaluatedKey,
                    capacity: result.capacity, table: table, mode: mode, countOnly: select == .count)
    }

    func scan(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let select = try r.enumeration("Select", Select.self)
        let request = ScanRequest(
            tableName: table, limit: try r.int("Limit"), exclusiveStartKey: try r.item("ExclusiveStartKey"),
            segment: try r.int("Segment"), totalSegments: try r.int("TotalSegments"),
            select: select, consistentRead: try r.bool("ConsistentRead") ?? false,
            filterExpression: try r.string("FilterExpression"),
            scanFilter: try r.legacyConditions("ScanFilter"),
            conditionalOperator: try r.enumeration("ConditionalOperator", ConditionalOperator.self),
            projectionExpression: try r.string("ProjectionExpression"),
            attributesToGet: try r.stringArray("AttributesToGet"),
            expressionAttributeNames: try r.stringMap("ExpressionAttributeNames"),
            expressionAttributeValues: try r.attributeValueMap("ExpressionAttributeValues"),
            indexName: try r.string("IndexName"))
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.scan(request) }
        return page(items: result.items, count: result.count, scanned: result.scannedCount, last: result.lastEvaluatedKey,
                    capacity: result.capacity, table: table, mode: mode, countOnly: select == .count)
    }
}
