import Foundation

public struct DeleteTableResponse: Sendable {
    public var tableDescription: TableDescription
}

extension Database {
    /// DynamoDB's DeleteTable: the table disappears at once and its data is freed.
    /// - Throws: `ResourceNotFoundException` when there is no such table.
    public func deleteTable(_ tableName: String) async throws(ShoalError) -> DeleteTableResponse {
        guard let handle = lookup(tableName) else { throw .tableNotFound(tableName) }
        if handle.definition.settings?.deletionProtection == true { throw TableSettingRules.protected }
        let description = try describe(handle, status: .deleting)
        // Through the schema funnel: registry and catalog first, together (after this the table
        // no longer exists, even across a crash, and only one of several concurrent deletes gets
        // past it), then every shard's databases.
        guard let dropped = try await dropTableStorage(tableName) else { throw .tableNotFound(tableName) }
        return try await run {
            // The stream stays readable until its records age out.
            if let stream = dropped.definition.liveStream, let live = streamHandle(stream.id) {
                var ended = stream
                ended.endedAt = options.clock.now.timeIntervalSince1970
                try catalog.putStream(ended)
                registerStream(live.with(definition: ended))
            }
            return DeleteTableResponse(tableDescription: description)
        }
    }
}
