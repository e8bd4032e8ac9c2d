/// Collects the actions of a transaction for ``Database/transactWrite(token:_:)``.
///
/// ```swift
/// try await db.transactWrite { tx in
///     tx.update(db.table("Accounts"), key: ["id": "a"], .add("balance", -10), condition: DocumentPath("balance") >= 10)
///     tx.update(db.table("Accounts"), key: ["id": "b"], .add("balance", 10))
///     tx.put(db.table("Transfers"), ["id": "t1", "amount": 10])
/// }
/// ```
public final class TransactionBuilder {
    public private(set) var actions: [TransactWriteAction] = []

    init() {}

    public func put(_ table: Table, _ item: Item, condition: Condition? = nil) {
        actions.append(.put(PutItemRequest(tableName: table.name, item: item, condition: condition)))
    }

    public func update(_ table: Table, key: Item, _ update: UpdateExpression, condition: Condition? = nil) {
        actions.append(.update(UpdateItemRequest(tableName: table.name, key: key, update: update, condition: condition)))
    }

    public func delete(_ table: Table, key: Item, condition: Condition? = nil) {
        actions.append(.delete(DeleteItemRequest(tableName: table.name, key: key, condition: condition)))
    }

    /// A condition on an item the transaction does not write.
    public func check(_ table: Table, key: Item, _ condition: Condition) {
        actions.append(.conditionCheck(ConditionCheckRequest(tableName: table.name, key: key, condition: condition)))
    }

    /// Any action, as a typed request.
    public func add(_ action: TransactWriteAction) {
        actions.append(action)
    }
}

extension Database {
    /// Runs the actions `build` adds as one TransactWriteItems: all of them or none.
    /// - Parameter token: a `ClientRequestToken` making retries idempotent for 10 minutes.
    /// - Throws: `TransactionCanceledException` with a reason per action when any cannot apply.
    @discardableResult
    public func transactWrite(token: String? = nil, _ build: (TransactionBuilder) throws -> Void) async throws -> TransactWriteItemsResponse {
        let builder = TransactionBuilder()
        try build(builder)
        return try await transactWriteItems(TransactWriteItemsRequest(actions: builder.actions, clientRequestToken: token))
    }

    /// Reads items of any tables from one consistent view (TransactGetItems).
    public func transactGet(_ gets: [TransactGetRequest]) async throws(ShoalError) -> [LazyItem?] {
        try await transactGetItems(gets).items
    }
}
