import Shoal

/// Fault injection for tests: `ShoalAdmin_20261126.InjectFault {"Operation", "TableName",
/// "Error", "Count" | "Probability", "LatencyMillis"}` → `{"FaultId"}` and `ClearFaults`; every
/// DynamoDB operation consults the faults before it runs (one check of an empty list otherwise).
enum InjectedFaults {
    static func inject(_ r: RequestReader, _ database: Database) throws(ProtocolError) -> JSONValue {
        let operation = try r.requiredString("Operation")
        guard OperationDispatcher.supported.contains(operation) || OperationDispatcher.streamsSupported.contains(operation) else {
            throw .validation("Unknown operation \(operation): give one of DynamoDB's operation names (PutItem, TransactWriteItems, …)")
        }
        let error = try r.string("Error").map { (name: String) throws(ProtocolError) -> FaultSpecification.ErrorType in
            guard let type = FaultSpecification.ErrorType(rawValue: name) else {
                throw .validation("Error must be one of \(FaultSpecification.ErrorType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return type
        }
        var probability: Double?
        if let value = r.members["Probability"] {
            guard case .number(let text) = value, let number = Double(text) else { throw .validation("Probability must be a number") }
            probability = number
        }
        let latency = try r.int("LatencyMillis").map { (millis: Int) throws(ProtocolError) -> Duration in
            guard (0...60_000).contains(millis) else { throw .validation("LatencyMillis must be between 0 and 60000") }
            return .milliseconds(millis)
        }
        let specification = FaultSpecification(operation: operation, tableName: try r.string("TableName"), error: error,
                                               count: try r.int("Count"), probability: probability, latency: latency)
        let id = try engine { () throws(ShoalError) in try database.injectFault(specification) }
        return .object([("FaultId", .string(id))])
    }

    static func clear(_ database: Database) -> JSONValue {
        database.clearFaults()
        return .object([])
    }

    /// Waits and throws as the fault that matches the request says, if one does.
    static func apply(_ database: Database, operation: String, body: JSONValue, region: String) async throws(ProtocolError) {
        guard database.hasFaults else { return }
        let tables = RequestAuthorization.accesses(operation: operation, body: body, region: region)
            .compactMap { $0.resource.map { String(Database.tableNameForArn($0).split(separator: "/").first ?? "") } }
        var actions = 1
        if case .array(let items)? = body.member("TransactItems") ?? body.member("TransactStatements") { actions = items.count }
        guard let fired = database.fault(for: operation, tables: tables, actions: actions) else { return }
        if let latency = fired.latency { try? await Task.sleep(for: latency) }
        if let error = fired.error { throw ProtocolError(error) }
    }
}
