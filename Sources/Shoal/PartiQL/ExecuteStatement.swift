/// DynamoDB's ExecuteStatement: one PartiQL statement.
public struct ExecuteStatementRequest: Sendable {
    public var statement: String
    /// Values for the statement's `?` placeholders, in order.
    public var parameters: [AttributeValue]?
    public var consistentRead: Bool
    /// A SELECT's next page: the `nextToken` of the previous response.
    public var nextToken: String?
    /// A SELECT evaluates at most this many items per page.
    public var limit: Int?
    /// `ALL_OLD`: a write whose condition fails returns the item as it was.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

    public init(statement: String, parameters: [AttributeValue]? = nil, consistentRead: Bool = false, nextToken: String? = nil,
                limit: Int? = nil, returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.statement = statement
        self.parameters = parameters
        self.consistentRead = consistentRead
        self.nextToken = nextToken
        self.limit = limit
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }
}

public struct ExecuteStatementResponse: Sendable, Equatable {
    /// A SELECT's items; a write's `RETURNING` item (none when nothing was there to return).
    public var items: [LazyItem]
    /// False for a write without `RETURNING`, whose response has no `Items` member at all.
    public var hasItems = true
    /// Present when a SELECT has more: pass it back as `nextToken` with the same statement and parameters.
    public var nextToken: String?
    /// The key of the last item the page evaluated, when it stopped early.
    public var lastEvaluatedKey: Item?
    /// The table the statement read or wrote.
    public var tableName: String
    /// Units by DynamoDB's rules (`ReturnConsumedCapacity`), split between the table and its indexes.
    public var capacity = ConsumedCapacity()
    public var consumedCapacity: Double { capacity.total }
}

extension Database {
    /// Runs one PartiQL statement: `SELECT`, `INSERT`, `UPDATE` or `DELETE`, in DynamoDB's dialect.
    ///
    /// ```swift
    /// try await db.execute("INSERT INTO \"Music\" VALUE {'Artist': ?, 'SongTitle': ?}", parameters: ["Acme", "Rocks"])
    /// let page = try await db.execute("SELECT * FROM \"Music\" WHERE Artist = ?", parameters: ["Acme"])
    /// ```
    /// - Throws: ``ShoalError``: `ValidationException` for a statement that does not parse or that
    ///   DynamoDB would refuse, `ConditionalCheckFailedException`, `DuplicateItemException`,
    ///   `ResourceNotFoundException`.
    public func execute(_ statement: String, parameters: [AttributeValue] = [], consistentRead: Bool = false,
                        limit: Int? = nil, nextToken: String? = nil) async throws(ShoalError) -> ExecuteStatementResponse {
        try await executeStatement(ExecuteStatementRequest(statement: statement, parameters: parameters.isEmpty ? nil : parameters,
                                                           consistentRead: consistentRead, nextToken: nextToken, limit: limit))
    }

    /// DynamoDB's ExecuteStatement.
    public func executeStatement(_ request: ExecuteStatementRequest) async throws(ShoalError) -> ExecuteStatementResponse {
        guard options.enforceCapacity else { return try await runStatement(request) }
        // Enforced capacity: the statement's table (or index) is admitted first and charged after.
        let entry = try partiQLStatements.entry(request.statement)
        let (table, index, write): (String, String?, Bool) = switch entry.statement {
        case .select(let select): (select.table, select.index, false)
        case .insert(let table, _): (table, nil, true)
        case .update(let update): (update.table, nil, true)
        case .delete(let table, _, _): (table, nil, true)
        case .exists: ("", nil, false)
        }
        guard let handle = lookup(table) else { return try await runStatement(request) }
        let draws = try admitCapacity(handle, index: index, write: write)
        let response = try await runStatement(request)
        chargeCapacity(draws, handle, write: write, response.capacity)
        return response
    }

    private func runStatement(_ request: ExecuteStatementRequest) async throws(ShoalError) -> ExecuteStatementResponse {
        if let parameters = request.parameters, parameters.isEmpty {
            throw .validation("1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        try PageBudget.checkLimit(request.limit)
        let entry = try partiQLStatements.entry(request.statement)
        let statement = entry.statement
        let binding = try PartiQLBinding(request.parameters ?? [], count: entry.parameterCount)
        switch statement {
        case .select(let select):
            // The common read by full key, compiled once per statement text.
            if request.nextToken == nil {
                let handle = try handle(select.table)
                if let point = partiQLStatements.pointRead(request.statement, entry, select, handle: handle) {
                    let page = try point.run(on: self, handle: handle, binding: binding, consistent: request.consistentRead)
                    return ExecuteStatementResponse(items: page.items, tableName: select.table, capacity: page.capacity)
                }
            }
            let plan = try PartiQLSelectPlan(select, binding: binding, database: self)
            var start: PartiQLPageToken?
            if let token = request.nextToken {
                start = try PartiQLPageToken.open(token, statement: request.statement, parameters: binding.parameters, sealer: tokens)
            }
            let page = try await plan.run(on: self, limit: request.limit, start: start, consistent: request.consistentRead)
            return ExecuteStatementResponse(
                items: page.items,
                nextToken: page.next.map { $0.seal(statement: request.statement, parameters: binding.parameters, sealer: tokens) },
                lastEvaluatedKey: page.lastEvaluatedKey, tableName: select.table, capacity: page.capacity)
        case .exists:
            throw PartiQLError.unsupported("EXISTS can only be used as a statement of ExecuteTransaction")
        case .insert, .update, .delete:
            if request.nextToken != nil { throw .validation("NextToken can only be used with a SELECT statement") }
            let write = try PartiQLWrite(statement, binding: binding, database: self,
                                         returnValuesOnConditionCheckFailure: request.returnValuesOnConditionCheckFailure)
            return try await write.run(on: self)
        }
    }
}
