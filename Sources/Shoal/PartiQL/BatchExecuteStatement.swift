/// One statement of a BatchExecuteStatement.
public struct BatchStatementRequest: Sendable, Hashable {
    public var statement: String
    public var parameters: [AttributeValue]?
    public var consistentRead: Bool
    /// `ALL_OLD`: a write whose condition fails reports the item as it was in its error.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

    public init(statement: String, parameters: [AttributeValue]? = nil, consistentRead: Bool = false,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.statement = statement
        self.parameters = parameters
        self.consistentRead = consistentRead
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }
}

/// Why one statement of a batch failed (`BatchStatementError`).
public struct BatchStatementError: Sendable, Equatable {
    /// `ConditionalCheckFailed`, `DuplicateItem`, `ValidationError`, `ResourceNotFound`, `TransactionConflict`, …
    public var code: String
    public var message: String
    /// The item as it was, for `ConditionalCheckFailed` with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    public var item: Item?

    public init(code: String, message: String, item: Item? = nil) {
        self.code = code
        self.message = message
        self.item = item
    }
}

/// What one statement of a batch returned: its table, the item a read found, or its error.
public struct BatchStatementResponse: Sendable, Equatable {
    public var tableName: String?
    public var item: LazyItem?
    public var error: BatchStatementError?
}

public struct BatchExecuteStatementResponse: Sendable, Equatable {
    /// One per statement, in order.
    public var responses: [BatchStatementResponse]
    /// By table, in the order the tables first appear.
    public var consumedCapacity: [TableCapacity]
}

extension Database {
    static let maxBatchStatements = 25

    /// DynamoDB's BatchExecuteStatement: up to 25 reads (each naming one item by its full key) or
    /// up to 25 writes, each run on its own (not atomically); a statement's failure is reported
    /// in its response, not thrown.
    /// - Throws: `ValidationException` when the batch is empty, too long, or mixes reads and writes.
    public func executeBatch(_ statements: [BatchStatementRequest]) async throws(ShoalError) -> BatchExecuteStatementResponse {
        guard !statements.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'statements' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard statements.count <= Database.maxBatchStatements else {
            throw .validation("1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to \(Database.maxBatchStatements)")
        }
        var parsed: [Result<PartiQLStatement, ShoalError>] = []
        for request in statements {
            do throws(ShoalError) {
                parsed.append(.success(try PartiQLParser.parse(request.statement)))
            } catch {
                parsed.append(.failure(error))
            }
        }
        let kinds = Set(parsed.compactMap { try? $0.get().isRead })
        guard kinds.count <= 1 else {
            throw .validation("Batch statements must all be reads or all be writes: a batch cannot mix SELECT with INSERT, UPDATE or DELETE")
        }
        var responses: [BatchStatementResponse] = []
        var capacity = CapacityLedger()
        for (request, statement) in zip(statements, parsed) {
            do throws(ShoalError) {
                let statement = try statement.get()
                let table = statement.tableName
                do throws(ShoalError) {
                    let (item, units) = try await runBatchStatement(statement, request)
                    capacity.add(units, table: table, writes: !statement.isRead)
                    responses.append(BatchStatementResponse(tableName: table, item: item))
                } catch {
                    // A write that was refused still consumed its write, as DynamoDB counts it.
                    if !statement.isRead && error.kind != .validation && error.kind != .resourceNotFound {
                        capacity.add(ConsumedCapacity(table: CapacityUnits.write(bytes: 0)), table: table, writes: true)
                    }
                    responses.append(BatchStatementResponse(tableName: table, error: BatchStatementError(error)))
                }
            } catch {
                responses.append(BatchStatementResponse(error: BatchStatementError(error)))
            }
        }
        return BatchExecuteStatementResponse(responses: responses, consumedCapacity: capacity.tables)
    }

    private func runBatchStatement(_ statement: PartiQLStatement, _ request: BatchStatementRequest) async throws(ShoalError)
        -> (LazyItem?, ConsumedCapacity) {
        let binding = try PartiQLBinding(request.parameters ?? [], for: statement)
        switch statement {
        case .select(let select):
            let plan = try PartiQLSelectPlan(select, binding: binding, database: self)
            guard case .point = plan.access else { throw PartiQLError.keyEquality }
            let page = try await plan.run(on: self, limit: nil, start: nil, consistent: request.consistentRead)
            return (page.items.first, page.capacity)
        case .exists:
            throw PartiQLError.unsupported("EXISTS can only be used as a statement of ExecuteTransaction")
        case .insert, .update, .delete:
            // A member's RETURNING comes back as its Item.
            let write = try PartiQLWrite(statement, binding: binding, database: self,
                                         returnValuesOnConditionCheckFailure: request.returnValuesOnConditionCheckFailure)
            let response = try await write.run(on: self)
            return (response.items.first, response.capacity)
        }
    }
}

extension BatchStatementError {
    /// A statement's error as its batch response shows it: the exception's name without `Exception`.
    init(_ error: ShoalError) {
        let code: String
        switch error.kind {
        case .validation: code = "ValidationError"
        case .conditionalCheckFailed: code = "ConditionalCheckFailed"
        case .duplicateItem: code = "DuplicateItem"
        case .resourceNotFound: code = "ResourceNotFound"
        case .transactionConflict: code = "TransactionConflict"
        case .itemCollectionSizeLimitExceeded: code = "ItemCollectionSizeLimitExceeded"
        default: code = "InternalServerError"
        }
        self.init(code: code, message: error.kind == .internalServerError ? "Internal server error" : error.message, item: error.item)
    }
}

/// Capacity summed by table, in the order the tables first appear.
struct CapacityLedger {
    private(set) var tables: [TableCapacity] = []

    mutating func add(_ capacity: ConsumedCapacity, table: String, writes: Bool) {
        var position = tables.firstIndex { $0.tableName == table }
        if position == nil {
            tables.append(TableCapacity(tableName: table))
            position = tables.count - 1
        }
        if writes { tables[position!].writeUnits += capacity.total } else { tables[position!].readUnits += capacity.total }
        tables[position!].capacity.add(capacity)
    }
}
