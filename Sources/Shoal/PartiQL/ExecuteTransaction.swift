/// One statement of an ExecuteTransaction.
public struct ParameterizedStatement: Sendable, Hashable {
    public var statement: String
    public var parameters: [AttributeValue]?
    /// `ALL_OLD`: a failed condition's cancellation reason carries the item as it was.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

    public init(statement: String, parameters: [AttributeValue]? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.statement = statement
        self.parameters = parameters
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }
}

public struct ExecuteTransactionResponse: Sendable, Equatable {
    /// For a transaction of SELECTs: one per statement, the item or nil. Nil for writes.
    public var items: [LazyItem?]?
    /// By table, in the order the tables first appear.
    public var consumedCapacity: [TableCapacity]
}

extension Database {
    /// DynamoDB's ExecuteTransaction: up to 100 statements, all reads (SELECTs naming one item
    /// each by its full key, read from one consistent view) or all writes (INSERT, UPDATE, DELETE
    /// and `EXISTS(SELECT …)` condition checks), applied all or none across shards by the same
    /// transaction coordinator as TransactWriteItems.
    /// - Throws: `ValidationException` for an invalid transaction, `TransactionCanceledException`
    ///   with one reason per statement (`ConditionalCheckFailed`, `DuplicateItem`, …),
    ///   `IdempotentParameterMismatchException` for a reused token with other statements.
    public func executeTransaction(_ statements: [ParameterizedStatement], clientRequestToken: String? = nil)
        async throws(ShoalError) -> ExecuteTransactionResponse {
        guard !statements.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'transactStatements' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard statements.count <= Database.maxTransactionActions else {
            throw .validation("1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to \(Database.maxTransactionActions)")
        }
        var parsed: [(PartiQLStatement, PartiQLBinding)] = []
        for (position, request) in statements.enumerated() {
            try Database.inStatement(position) { () throws(ShoalError) in
                let statement = try PartiQLParser.parse(request.statement)
                parsed.append((statement, try PartiQLBinding(request.parameters ?? [], for: statement)))
            }
        }
        if Set(parsed.map { $0.0.isRead }).count > 1 {
            throw .validation("A transaction must consist of read statements only or of write statements only")
        }
        if parsed[0].0.isRead {
            if let token = clientRequestToken { try IdempotencyTokens.validate(token) }
            return try await readTransaction(parsed)
        }
        var actions: [TransactWriteAction] = []
        for (position, ((statement, binding), request)) in zip(parsed, statements).enumerated() {
            try Database.inStatement(position) { () throws(ShoalError) in
                switch statement {
                case .exists(let select):
                    let schema = try handle(select.table).key
                    guard select.index == nil, let condition = select.condition else { throw PartiQLError.keyEquality }
                    let (key, rest) = try PartiQLKeys.fullKey(condition, schema: schema, binding: binding)
                    let exists = Condition.attributeExists(DocumentPath(attribute: schema.partition.name))
                    actions.append(.conditionCheck(ConditionCheckRequest(
                        tableName: select.table, key: key, condition: rest.map { .and(exists, $0) } ?? exists,
                        returnValuesOnConditionCheckFailure: request.returnValuesOnConditionCheckFailure)))
                case .insert, .update, .delete:
                    if case .update(let u) = statement, u.returning != nil { throw returningInTransaction }
                    if case .delete(_, _, let returning) = statement, returning != nil { throw returningInTransaction }
                    let write = try PartiQLWrite(statement, binding: binding, database: self,
                                                 returnValuesOnConditionCheckFailure: request.returnValuesOnConditionCheckFailure)
                    actions.append(write.transactionAction)
                case .select:
                    throw .internalError("A read statement among writes")
                }
            }
        }
        let response = try await transactWriteItems(TransactWriteItemsRequest(actions: actions, clientRequestToken: clientRequestToken))
        return ExecuteTransactionResponse(items: nil, consumedCapacity: response.consumedCapacity)
    }

    private var returningInTransaction: ShoalError {
        .validation("RETURNING clause is not supported in ExecuteTransaction.")
    }

    /// DynamoDB names the statement a transaction's validation error comes from.
    private static func inStatement(_ position: Int, _ body: () throws(ShoalError) -> Void) throws(ShoalError) {
        do {
            try body()
        } catch where error.kind == .validation {
            throw .validation("Validation failed in TransactStatements[\(position)]: \(error.message)")
        }
    }

    /// SELECTs of single items, read together from one consistent view of every shard.
    private func readTransaction(_ parsed: [(PartiQLStatement, PartiQLBinding)]) async throws(ShoalError) -> ExecuteTransactionResponse {
        var plans: [PartiQLSelectPlan] = []
        var gets: [TransactGetRequest] = []
        for (position, (statement, binding)) in parsed.enumerated() {
            guard case .select(let select) = statement else { throw .internalError("A write statement among reads") }
            try Database.inStatement(position) { () throws(ShoalError) in
                if select.index != nil { throw .validation("Reads on indices are not supported within transactions.") }
                let plan = try PartiQLSelectPlan(select, binding: binding, database: self)
                guard case .point(let key) = plan.access else { throw PartiQLError.keyEquality }
                plans.append(plan)
                gets.append(TransactGetRequest(tableName: select.table, key: key))
            }
        }
        let response = try await transactGetItems(gets)
        let items: [LazyItem?] = zip(plans, response.items).map { plan, item in
            guard let item, plan.filter.map({ ConditionEvaluator.evaluate($0, on: item.dictionary) }) ?? true else { return nil }
            guard let projection = plan.projection else { return item }
            return plan.shaped(LazyItem(Projection.apply(projection, to: item.dictionary)))
        }
        return ExecuteTransactionResponse(items: items, consumedCapacity: response.consumedCapacity)
    }
}
