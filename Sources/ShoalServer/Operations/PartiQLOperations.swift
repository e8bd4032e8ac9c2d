import Shoal

/// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL over DynamoDB's JSON protocol.
struct PartiQLOperations: Sendable {
    let database: Database

    private func parameters(_ r: RequestReader) throws(ProtocolError) -> [AttributeValue]? {
        try r.array("Parameters").map { list throws(ProtocolError) in
            try list.map { v throws(ProtocolError) in try AttributeValueJSON.decode(v, depth: 0) }
        }
    }

    func executeStatement(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let request = ExecuteStatementRequest(
            statement: try r.requiredString("Statement"), parameters: try parameters(r),
            consistentRead: try r.bool("ConsistentRead") ?? false, nextToken: try r.string("NextToken"), limit: try r.int("Limit"),
            returnValuesOnConditionCheckFailure: try r.enumeration("ReturnValuesOnConditionCheckFailure", ReturnValuesOnConditionCheckFailure.self))
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.executeStatement(request) }
        var members: [(String, JSONValue)] = []
        if result.hasItems { members.append(("Items", ResponseJSON.items(result.items))) }
        if let token = result.nextToken { members.append(("NextToken", .string(token))) }
        if let c = ResponseJSON.capacity(result.capacity, table: result.tableName, mode: mode) { members.append(("ConsumedCapacity", c)) }
        if let last = result.lastEvaluatedKey { members.append(("LastEvaluatedKey", AttributeValueJSON.encode(last))) }
        return .object(members)
    }

    /// The members of a statement list (`Statements`, `TransactStatements`): each one's reader and `Statement`.
    private func statementList(_ r: RequestReader, _ key: String) throws(ProtocolError) -> [(RequestReader, String)] {
        let field = RequestReader.fieldName(key)
        guard let list = try r.array(key) else {
            throw .validation("1 validation error detected: Value null at '\(field)' failed to satisfy constraint: Member must not be null")
        }
        var members: [(RequestReader, String)] = []
        for (position, element) in list.enumerated() {
            let entry = try RequestReader(element)
            guard let statement = try entry.string("Statement") else {
                throw .validation("1 validation error detected: Value null at '\(field).\(position + 1).member.statement' failed to satisfy constraint: Member must not be null")
            }
            members.append((entry, statement))
        }
        return members
    }

    func batchExecuteStatement(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        var statements: [BatchStatementRequest] = []
        for (entry, statement) in try statementList(r, "Statements") {
            statements.append(BatchStatementRequest(
                statement: statement, parameters: try parameters(entry), consistentRead: try entry.bool("ConsistentRead") ?? false,
                returnValuesOnConditionCheckFailure: try entry.enumeration("ReturnValuesOnConditionCheckFailure",
                                                                           ReturnValuesOnConditionCheckFailure.self)))
        }
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in try await database.executeBatch(statements) }
        var members: [(String, JSONValue)] = [
            ("Responses", .array(result.responses.map { response in
                var fields: [(String, JSONValue)] = []
                if let error = response.error {
                    var members: [(String, JSONValue)] = [("Code", .string(error.code)), ("Message", .string(error.message))]
                    if let item = error.item { members.append(("Item", AttributeValueJSON.encode(item))) }
                    fields.append(("Error", .object(members)))
                }
                if let table = response.tableName { fields.append(("TableName", .string(table))) }
                if let item = response.item { fields.append(("Item", .item(item))) }
                return .object(fields)
            })),
        ]
        if let c = TransactionOperations.capacity(result.consumedCapacity, mode: mode) { members.append(("ConsumedCapacity", c)) }
        return .object(members)
    }

    func executeTransaction(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        var statements: [ParameterizedStatement] = []
        for (entry, statement) in try statementList(r, "TransactStatements") {
            statements.append(ParameterizedStatement(
                statement: statement, parameters: try parameters(entry),
                returnValuesOnConditionCheckFailure: try entry.enumeration("ReturnValuesOnConditionCheckFailure",
                                                                           ReturnValuesOnConditionCheckFailure.self)))
        }
        let token = try r.string("ClientRequestToken")
        let mode = try r.enumeration("ReturnConsumedCapacity", ReturnConsumedCapacity.self)
        let result = try await engine { () async throws(ShoalError) in
            try await database.executeTransaction(statements, clientRequestToken: token)
        }
        var members: [(String, JSONValue)] = []
        if let items = result.items {
            members.append(("Responses", .array(items.map { item in item.map { .object([("Item", .item($0))]) } ?? .object([]) })))
        }
        if let c = TransactionOperations.capacity(result.consumedCapacity, mode: mode) { members.append(("ConsumedCapacity", c)) }
        return .object(members)
    }
}
