/// A PartiQL INSERT, UPDATE or DELETE as the single-item write it is: a PutItem, UpdateItem or
/// DeleteItem request, so that every PartiQL write goes through the same write path (indexes,
/// stream records, TTL, triggers) as the API's own writes.
enum PartiQLWrite {
    case put(PutItemRequest)
    case update(UpdateItemRequest)
    case delete(DeleteItemRequest)

    init(_ statement: PartiQLStatement, binding: PartiQLBinding, database: Database,
         returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?) throws(ShoalError) {
        switch statement {
        case let .insert(table, value):
            guard case .m(let item)? = try binding.value(value) else {
                throw PartiQLError.unsupported("INSERT takes one item, written as a map literal {'name': value, …} or a map parameter")
            }
            var put = PutItemRequest(tableName: table, item: item)
            put.insertOnly = true
            self = .put(put)
        case .update(let update):
            let schema = try database.handle(update.table).key
            let (key, rest) = try PartiQLKeys.fullKey(update.condition, schema: schema, binding: binding)
            var expression = UpdateExpression()
            for action in update.actions {
                switch action {
                case let .set(path, value):
                    expression.set.append(.init(path: DocumentPath(path), value: try binding.updateOperand(value)))
                case .remove(let path):
                    expression.remove.append(DocumentPath(path))
                }
            }
            // An UPDATE changes an item that is there: it never creates one.
            let exists = Condition.attributeExists(DocumentPath(attribute: schema.partition.name))
            self = .update(UpdateItemRequest(
                tableName: update.table, key: key, update: expression, condition: rest.map { .and(exists, $0) } ?? exists,
                returnValues: update.returning?.returnValue ?? .none,
                returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure))
        case let .delete(table, condition, returning):
            let schema = try database.handle(table).key
            let (key, rest) = try PartiQLKeys.fullKey(condition, schema: schema, binding: binding)
            // Deleting an absent item succeeds; a present one must meet the rest of the clause.
            let absent = Condition.attributeNotExists(DocumentPath(attribute: schema.partition.name))
            self = .delete(DeleteItemRequest(
                tableName: table, key: key, returnValues: returning == nil ? .none : .allOld,
                condition: rest.map { .or(absent, $0) }, returnValuesOnConditionCheckFailure: returnValuesOnConditionCheckFailure))
        case .select, .exists:
            throw .internalError("A read statement is not a write")
        }
    }

    var tableName: String {
        switch self {
        case .put(let r): r.tableName
        case .update(let r): r.tableName
        case .delete(let r): r.tableName
        }
    }

    /// The statement as one action of a transaction.
    var transactionAction: TransactWriteAction {
        switch self {
        case .put(let r): return .put(r)
        case .update(var r):
            r.returnValues = .none
            return .update(r)
        case .delete(var r):
            r.returnValues = .none
            return .delete(r)
        }
    }

    /// Whether the statement has a `RETURNING` clause.
    var returns: Bool {
        switch self {
        case .put: false
        case .update(let r): r.returnValues != .none
        case .delete(let r): r.returnValues != .none
        }
    }

    func run(on database: Database) async throws(ShoalError) -> ExecuteStatementResponse {
        let attributes: Item?
        let capacity: ConsumedCapacity
        switch self {
        case .put(let request):
            let response = try await database.putItem(request)
            (attributes, capacity) = (nil, response.capacity)
        case .update(let request):
            let response = try await database.updateItem(request)
            (attributes, capacity) = (response.attributes, response.capacity)
        case .delete(let request):
            let response = try await database.deleteItem(request)
            (attributes, capacity) = (response.attributes, response.capacity)
        }
        var response = ExecuteStatementResponse(items: attributes.map { [LazyItem($0)] } ?? [], tableName: tableName, capacity: capacity)
        response.hasItems = returns
        return response
    }
}
