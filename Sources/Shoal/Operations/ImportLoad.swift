import Foundation

/// The engine's side of DynamoDB's ImportTable: the table is created CREATING (data operations do
/// not find it), the job loads its items in bulk, and the table turns ACTIVE when the job is done;
/// a job that cannot finish deletes the table, so no half-imported table is ever served.
extension Database {
    /// Creates `request`'s table for the import `importArn`. - Returns: its description (CREATING).
    public func createTableForImport(_ request: CreateTableRequest, importArn: String) async throws(ShoalError) -> TableDescription {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        var definition = try validate(request)
        definition.importArn = importArn
        return try await insertTable(definition).tableDescription
    }

    /// The id of the table `name` while the import `importArn` loads it (nil otherwise).
    public func importingTableID(_ name: String, importArn: String) -> String? {
        guard let definition = lookup(name)?.definition, definition.importArn == importArn else { return nil }
        return definition.id
    }

    /// Writes imported items (each checked as a PutItem's) into the table the import is loading.
    /// - Returns: the refused items, by position.
    public func importItems(tableName: String, tableID: String, _ items: [Item]) async throws(ShoalError) -> [BulkPutFailure] {
        guard let handle = lookup(tableName), handle.definition.id == tableID, handle.definition.importArn != nil else {
            throw ShoalError(.resourceNotFound, "Table \(tableName) is not being imported")
        }
        return try await bulkPut(handle, items: items)
    }

    /// Marks the import's table loaded: it turns ACTIVE.
    public func finishImport(tableName: String, tableID: String) throws(ShoalError) {
        _ = try changeDefinition(tableName, id: tableID) { table throws(ShoalError) in table.importArn = nil }
    }

    /// Deletes the table of an import that failed.
    public func abandonImport(tableName: String, tableID: String) async throws(ShoalError) {
        guard let handle = lookup(tableName), handle.definition.id == tableID, handle.definition.importArn != nil else { return }
        _ = try await deleteTable(tableName)
    }
}

extension Database {
    /// A NextToken for a list of the server's export or import jobs: `marker` sealed with the
    /// directory's secret, so a client can neither read nor forge it.
    public func sealJobListToken(_ marker: String) -> String {
        tokens.seal(Array(marker.utf8), for: .jobListPage)
    }

    /// The marker a NextToken from ``sealJobListToken(_:)`` holds (nil: not one of ours).
    public func openJobListToken(_ token: String) -> String? {
        tokens.open(token, for: .jobListPage).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Database {
    /// The tables an import is loading: name, id and the import's ARN.
    public func tablesBeingImported() -> [(name: String, id: String, importArn: String)] {
        tableNames().compactMap { name in
            guard let definition = lookup(name)?.definition, let arn = definition.importArn else { return nil }
            return (name, definition.id, arn)
        }
    }
}
