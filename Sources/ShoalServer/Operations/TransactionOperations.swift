import Shoal

/// TransactWriteItems and TransactGetItems.
struct TransactionOperations: Sendable {
    let database: Database

    func transactWriteItems(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let list = try TransactionOperations.items(r)
        var actions: [TransactWriteAction] = []
        for (position, element) in list.enumerated() {
            let entry = try RequestReader(element)
            let kinds = ["ConditionCheck", "Put", "Delete", "Update"].filter(entry.has)
            guard kinds.count == 1, let kind = kinds.first, let a = try entry.object(kind) else {
                throw .validation("TransactItems can only contain one of Check, Put, Update or Delete")
            }
            let path = "transactItems.\(position + 1).member.\(RequestReader.fieldName(kind))"
            let table = try TransactionOperations.required(a, "TableName", path) { r, k throws(ProtocolError) in try r.string(k) }
            let conditions = try a.conditionMembers(legacy: false)
            switch kind {
            case "Put":
                var put = PutItemRequest(tableName: table, item: try TransactionOperations.required(a, "Item", path) { r, k throws(ProtocolError) in try r.item(k) })
                put.conditions = conditions
                actions.append(.put(put))
            case "Update":
                let key = try TransactionOperations.required(a, "Key", path) { r, k throws(ProtocolError) in try r.item(k) }
                let update = try TransactionOperations.required(a, "UpdateExpression", path) { r, k throws(ProtocolError) in try r.string(k) }
                var request = UpdateItemRequest(tableName: table, key: key, updateExpression: update)
                request.conditions = conditions
                actions.append(.update(request))
            case "Delete":
                var delete = DeleteItemRequest(tableName: table, key: try TransactionOperations.required(a, "Key", path) { r, k throws(ProtocolError) in try r.item(k) })
                delete.conditions = conditions
                actions.append(.delete(delete))
            default:
                let key = try TransactionOperations.required(a, "Key", path) { r, k throws(ProtocolError) in try r.item(k) }
                _ = try TransactionOperations.required(a, "ConditionExpression", path) { r, k throws(ProtocolError) in try r.string(k) }
                var check = ConditionCheckRequest(tableName: table, key: key)
                check.conditions = conditions
                actions.append(.conditionCheck(check))
            }
        }
        let request = TransactWriteItemsRequest(
            actions: actions, clientRequestToken: try r.string("ClientRequestToken"),
            returnItemCollectionMetrics: try r.enumeration("ReturnItemCollectionMetrics", ReturnItemCollectionMetrics.self) ?? .none)
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.transactWriteItems(request) }
        var members: [(String, JSONValue)] = []
        if let c = TransactionOperations.capacity(result.consumedCapacity, mode: mode) { members.append(("ConsumedCapacity", c)) }
        if request.returnItemCollectionMetrics == .size {
            members.append(("ItemCollectionMetrics", .object(result.itemCollectionMetrics.sorted { $0.key < $1.key }.map {
                ($0.key, .array($0.value.map(ResponseJSON.collectionMetrics)))
            })))
        }
        return .object(members)
    }

    func transactGetItems(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let list = try TransactionOperations.items(r)
        var gets: [TransactGetRequest] = []
        for (position, element) in list.enumerated() {
            let entry = try RequestReader(element)
            let path = "transactItems.\(position + 1).member.get"
            guard let g = try entry.object("Get") else {
                throw .validation("1 validation error detected: Value null at '\(path)' failed to satisfy constraint: Member must not be null")
            }
            gets.append(TransactGetRequest(
                tableName: try TransactionOperations.required(g, "TableName", path) { r, k throws(ProtocolError) in try r.string(k) },
                key: try TransactionOperations.required(g, "Key", path) { r, k throws(ProtocolError) in try r.item(k) },
                projectionExpression: try g.string("ProjectionExpression"),
                expressionAttributeNames: try g.stringMap("ExpressionAttributeNames")))
        }
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.transactGetItems(gets) }
        var members: [(String, JSONValue)] = [
            ("Responses", .array(result.items.map { item in
                item.map { .object([("Item", .item($0))]) } ?? .object([])
            })),
        ]
        if let c = TransactionOperations.capacity(result.consumedCapacity, mode: mode) { members.append(("ConsumedCapacity", c)) }
        return .object(members)
    }

    private static func items(_ r: RequestReader) throws(ProtocolError) -> [JSONValue] {
        guard let list = try r.array("TransactItems") else {
            throw .validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null")
        }
        return list
    }

    private static func required<T>(_ r: RequestReader, _ key: String, _ path: String,
                                    _ read: (RequestReader, String) throws(ProtocolError) -> T?) throws(ProtocolError) -> T {
        guard let value = try read(r, key) else {
            throw .validation("1 validation error detected: Value null at '\(path).\(RequestReader.fieldName(key))' failed to satisfy constraint: Member must not be null")
        }
        return value
    }

    /// A transaction's `ConsumedCapacity`: one entry per table, with its read and write units.
    static func capacity(_ tables: [TableCapacity], mode: ReturnConsumedCapacity?) -> JSONValue? {
        guard let mode, mode != .none else { return nil }
        return .array(tables.map { table in
            guard case .object(var members) = ResponseJSON.capacity(table.capacity, table: table.tableName, mode: mode) else { return .null }
            if table.readUnits > 0 { members.insert(("ReadCapacityUnits", ResponseJSON.number(table.readUnits)), at: 2) }
            if table.writeUnits > 0 { members.insert(("WriteCapacityUnits", ResponseJSON.number(table.writeUnits)), at: 2) }
            return .object(members)
        })
    }
}
