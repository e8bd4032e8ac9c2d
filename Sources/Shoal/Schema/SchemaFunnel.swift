import LMDB

/// The schema funnel: the one path by which a table is created, its storage changed (an index
/// added, dropped or activated, a stream started or stopped, time to live switched) or the table
/// deleted. Each change runs in three steps, crash-safe at each:
///
/// 1. the catalog (``TableRegistry``): the new definition is stored and staged. A crash after
///    this leaves a definition whose storage the next open completes, running step 2 again;
/// 2. every shard's storage: each shard's writer applies the definition
///    (``WriteContext/applyTable(_:)``: open what is new, drop what is gone; idempotent);
/// 3. the registry: the definition goes live with the storage the shards returned, so readers
///    and writers hold the same value.
///
/// Should step 2 fail (no database slot left, say), the shards are brought back to the previous
/// definition and the catalog gets it back. Storage changes are serialized by the registry's `schemaLock`.
extension Database {
    /// Creates a table from its validated definition. - Returns: its handle.
    /// - Throws: `ResourceInUseException` when the name is taken.
    func createTableStorage(_ definition: TableDefinition) async throws(ShoalError) -> TableHandle {
        await tables.schemaLock.acquire()
        defer { tables.schemaLock.release() }
        guard try tables.stageCreate(definition) else {
            throw ShoalError(.resourceInUse, "Table already exists: \(definition.name)")
        }
        do throws(ShoalError) {
            let storages = try await applyToShards(definition)
            guard let handle = tables.commit(definition.name, storages: storages) else { throw .resourceNotFound }
            return handle
        } catch {
            tables.abandon(definition.name, restoring: nil)
            for shard in shards { _ = try? await shard.writer.perform { try $0.dropTable(definition.id) } }
            throw error
        }
    }

    /// Changes a table through the funnel. `change` may throw to refuse (nothing is written);
    /// `id`: the table the caller means (one re-created under the name meanwhile is not found).
    /// A change that leaves the storage as it is skips step 2. - Returns: the table's new handle.
    @discardableResult
    func alterTable(_ name: String, id: String? = nil,
                    _ change: (inout TableDefinition) throws(ShoalError) -> Void) async throws(ShoalError) -> TableHandle {
        await tables.schemaLock.acquire()
        defer { tables.schemaLock.release() }
        let (before, after) = try tables.change(name, id: id, storage: true, change)
        do throws(ShoalError) {
            let storages: [TableStorage]
            if before.storageShape == after.storageShape, let current = lookup(name) {
                storages = current.storages
            } else {
                storages = try await applyToShards(after)
            }
            guard let handle = tables.commit(name, storages: storages) else { throw .tableNotFound(name) }
            return handle
        } catch {
            // Back to the previous definition, shards first (they may have applied the new one).
            _ = try? await applyToShards(before)
            tables.abandon(name, restoring: before)
            throw error
        }
    }

    /// Deletes a table: gone from the registry and the catalog first (only one of concurrent
    /// deletes gets past that), then its databases are emptied in every shard.
    /// - Returns: its last handle, or nil when there was no such table.
    func dropTableStorage(_ name: String) async throws(ShoalError) -> TableHandle? {
        await tables.schemaLock.acquire()
        defer { tables.schemaLock.release() }
        guard let handle = lookup(name), try tables.remove(name) else { return nil }
        let id = handle.definition.id
        try await run {
            for shard in shards {
                try await shard.writer.perform { try $0.dropTable(id) }
            }
        }
        return handle
    }

    /// Step 2: every shard's writer applies `definition`. - Returns: the storages, by shard index.
    private func applyToShards(_ definition: TableDefinition) async throws(ShoalError) -> [TableStorage] {
        try await run {
            var storages: [TableStorage] = []
            for shard in shards {
                do {
                    storages.append(try await shard.writer.perform { try $0.applyTable(definition) })
                } catch LMDBError.databasesFull {
                    throw Database.databasesFull(options)
                }
            }
            return storages
        }
    }
}
