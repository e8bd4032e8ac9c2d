import Shoal

/// BatchGetItem and BatchWriteItem.
struct BatchOperations: Sendable {
    let database: Database

    private func capacities(_ units: [String: ConsumedCapacity], mode: ReturnConsumedCapacity?) -> JSONValue? {
        guard let mode, mode != .none else { return nil }
        return .array(units.sorted { $0.key < $1.key }.compactMap { ResponseJSON.capacity($0.value, table: $0.key, mode: mode) })
    }

    func batchGetItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        guard let tables = try r.map("RequestItems") else {
            throw .validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        }
        var requestItems: [String: KeysAndAttributes] = [:]
        for (table, json) in tables {
            let entry = try RequestReader(json)
            guard let keys = try entry.array("Keys") else {
                throw .validation("1 validation error detected: Value null at 'requestItems.\(table).member.keys' failed to satisfy constraint: Member must not be null")
            }
            requestItems[table] = KeysAndAttributes(
                keys: try keys.map { k throws(ProtocolError) in try AttributeValueJSON.decodeItem(k, field: "Keys") },
                consistentRead: try entry.bool("ConsistentRead") ?? false,
                projectionExpression: try entry.string("ProjectionExpression"),
                expressionAttributeNames: try entry.stringMap("ExpressionAttributeNames"),
                attributesToGet: try entry.stringArray("AttributesToGet"))
        }
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.batchGetItem(BatchGetItemRequest(requestItems: requestItems)) }
        var members: [(String, JSONValue)] = [
            ("Responses", .object(result.responses.sorted { $0.key < $1.key }.map { ($0.key, ResponseJSON.items($0.value)) })),
            ("UnprocessedKeys", .object(result.unprocessedKeys.sorted { $0.key < $1.key }.map { table, pending in
                var entry: [(String, JSONValue)] = [("Keys", ResponseJSON.items(pending.keys))]
                if pending.consistentRead { entry.append(("ConsistentRead", .bool(true))) }
                if let p = pending.projectionExpression { entry.append(("ProjectionExpression", .string(p))) }
                if let n = pending.expressionAttributeNames { entry.append(("ExpressionAttributeNames", .object(n.map { ($0.key, .string($0.value)) }))) }
                if let a = pending.attributesToGet { entry.append(("AttributesToGet", .array(a.map { .string($0) }))) }
                return (table, .object(entry))
            })),
        ]
        if let c = capacities(result.consumedCapacity.mapValues { ConsumedCapacity(table: $0) }, mode: mode) { members.append(("ConsumedCapacity", c)) }
        return .object(members)
    }

    func batchWriteItem(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        guard let tables = try r.map("RequestItems") else {
            throw .validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        }
        var requestItems: [String: [WriteRequest]] = [:]
        for (table, json) in tables {
            guard case .array(let list) = json else { throw .serialization("Unexpected \(json.typeName) for RequestItems, expected a list") }
            requestItems[table] = try list.map { element throws(ProtocolError) -> WriteRequest in
                let entry = try RequestReader(element)
                if let put = try entry.object("PutRequest") {
                    guard !entry.has("DeleteRequest") else {
                        throw .validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
                    }
                    return .put(try put.requiredItem("Item"))
                }
                if let delete = try entry.object("DeleteRequest") {
                    return .delete(key: try delete.requiredItem("Key"))
                }
                throw .validation("1 validation error detected: Value null at 'requestItems.\(table).member.putRequest' failed to satisfy constraint: Member must not be null")
            }
        }
        var request = BatchWriteItemRequest(requestItems: requestItems)
        request.returnItemCollectionMetrics = try r.enumeration("ReturnItemCollectionMetrics", ReturnItemCollectionMetrics.self) ?? .none
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { [request] () async throws(ShoalError) in try await database.batchWriteItem(request) }
        let unprocessed = result.unprocessedItems.sorted { $0.key < $1.key }.map { table, writes -> (String, JSONValue) in
            (table, .array(writes.map { write -> JSONValue in
                switch write {
                case .put(let item): return .object([("PutRequest", .object([("Item", AttributeValueJSON.encode(item))]))])
                case .delete(let key): return .object([("DeleteRequest", .object([("Key", AttributeValueJSON.encode(key))]))])
                }
            }))
        }
        var members: [(String, JSONValue)] = [("UnprocessedItems", .object(unprocessed))]
        if let c = capacities(result.capacity, mode: mode) { members.append(("ConsumedCapacity", c)) }
        if !result.itemCollectionMetrics.isEmpty {
            members.append(("ItemCollectionMetrics", .object(result.itemCollectionMetrics.sorted { $0.key < $1.key }.map {
                ($0.key, .array($0.value.map(ResponseJSON.collectionMetrics)))
            })))
        }
        return .object(members)
    }
}
