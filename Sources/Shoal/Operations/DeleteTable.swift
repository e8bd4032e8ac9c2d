import Foundation

public struct DeleteTableResponse: Sendable {
    public var tableDescription: TableDescription
}

extension Database {
    /// DynamoDB's DeleteTable: the table disappears at once and its data is freed.
    /// - Throws: `ResourceNotFoundException` when there is no such table.
    public func deleteTable(_ tableName: String) async throws(ShoalError) -> DeleteTableResponse {
        guard let handle = lookup(tableName) else { throw .tableNotFound(tableName) }
        let description = try describe(handle, status: .deleting)
        // Registry and catalog first, together: after this the table no longer exists, even across
        // a crash, and only one of several concurrent deletes gets past it.
        guard try removeDefinition(tableName) else { throw .tableNotFound(tableName) }
        return try await run {
            let id = handle.definition.id
            for shard in shards {
                try await shard.writer.perform { try $0.dropTable(id) }
            }
            // The stream stays readable until its records age out.
            if let stream = handle.definition.liveStream, let live = streamHandle(stream.id) {
                var ended = stream
                ended.endedAt = Date().timeIntervalSince1970
                try catalog.putStream(ended)
                registerStream(live.with(definition: ended))
            }
            return DeleteTableResponse(tableDescription: description)
        }
    }
}
