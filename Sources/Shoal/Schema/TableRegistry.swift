import Synchronization

/// The live tables by name, and the catalog's table definitions kept equal to them. Every change
/// of a definition is written here, catalog first, under one lock, so concurrent changes never
/// lose each other. A change that alters a table's storage is *staged* (in the catalog, not yet
/// in the registry) while the schema funnel (``Database/alterTable(_:id:_:)``) brings every shard
/// to it, then *committed* with the shards' new storage, so readers never see a definition
/// without the databases it names. Definition-only changes made meanwhile (tags, say) build on
/// the staged definition and are committed with it.
final class TableRegistry: Sendable {
    private struct State {
        var tables: [String: TableHandle]
        /// Definitions in the catalog whose storage the shards are being brought to, by name.
        var staged: [String: TableDefinition] = [:]
    }

    /// Serializes the schema funnel's changes of tables' storage (held across the shards' step).
    let schemaLock = AsyncLock()
    private let catalog: Catalog
    private let state: Mutex<State>
    /// Serializes writers of definitions (catalog, then registry); readers only take `state`.
    private let writerLock = Mutex(())

    init(catalog: Catalog, tables: [String: TableHandle]) {
        self.catalog = catalog
        state = Mutex(State(tables: tables))
    }

    func lookup(_ name: String) -> TableHandle? { state.withLock { $0.tables[name] } }

    var names: [String] { state.withLock { Array($0.tables.keys) } }

    /// Stages a new table: its definition goes into the catalog (a crash from here on leaves a
    /// table whose storage the next open completes). - Returns: false when the name is taken.
    func stageCreate(_ definition: TableDefinition) throws(ShoalError) -> Bool {
        try writing { () throws(ShoalError) -> Bool in
            let taken = state.withLock { $0.tables[definition.name] != nil || $0.staged[definition.name] != nil }
            guard !taken, try Database.storageCall({ try catalog.insert(definition) }) else { return false }
            state.withLock { $0.staged[definition.name] = definition }
            return true
        }
    }

    /// Changes a table's definition in the catalog. With `storage` false the change may not alter
    /// the table's storage (``TableDefinition/storageShape``) and is visible at once; with it true
    /// the change is staged until ``commit(_:storages:)``. `id`: the table the caller means (a
    /// table re-created under the name meanwhile is not found).
    /// - Returns: the definition before and after.
    func change(_ name: String, id: String?, storage: Bool,
                _ change: (inout TableDefinition) throws(ShoalError) -> Void) throws(ShoalError) -> (before: TableDefinition, after: TableDefinition) {
        try writing { () throws(ShoalError) -> (before: TableDefinition, after: TableDefinition) in
            let (current, isStaged) = state.withLock { state in
                (state.staged[name] ?? state.tables[name]?.definition, state.staged[name] != nil)
            }
            guard let before = current else { throw .tableNotFound(name) }
            if let id, before.id != id { throw .resourceNotFound }
            var after = before
            try change(&after)
            if !storage && after.storageShape != before.storageShape {
                throw .internalError("A change of \(name)'s storage was made outside the schema funnel")
            }
            try Database.storageCall { try catalog.replace(after) }
            state.withLock { state in
                if storage || isStaged {
                    state.staged[name] = after
                    // What a change only takes away (an index being deleted, a stream or time to
                    // live switched off) is visible at once, so reads refuse a deleting index while
                    // the shards drop it; what a change adds waits for the shards' databases.
                    if storage, after.storageShape.onlyRemoves(from: before.storageShape), let handle = state.tables[name] {
                        state.tables[name] = TableHandle(definition: after, storages: handle.storages)
                    }
                } else if let handle = state.tables[name] {
                    state.tables[name] = TableHandle(definition: after, storages: handle.storages)
                }
            }
            return (before, after)
        }
    }

    /// Makes a staged definition live with the storage the shards now have. - Returns: its handle.
    func commit(_ name: String, storages: [TableStorage]) -> TableHandle? {
        writerLock.withLock { _ in
            state.withLock { state -> TableHandle? in
                guard let definition = state.staged.removeValue(forKey: name) else { return nil }
                let handle = TableHandle(definition: definition, storages: storages)
                state.tables[name] = handle
                return handle
            }
        }
    }

    /// Gives a staged change up: the catalog (and the registry, if the change was visible) gets
    /// `previous` back (nil: a new table, removed).
    func abandon(_ name: String, restoring previous: TableDefinition?) {
        writerLock.withLock { _ in
            state.withLock { state in
                state.staged.removeValue(forKey: name)
                if let previous, let handle = state.tables[name], handle.definition.id == previous.id {
                    state.tables[name] = TableHandle(definition: previous, storages: handle.storages)
                }
            }
            if let previous { try? catalog.replace(previous) } else { try? catalog.remove(name) }
        }
    }

    /// Removes a table from the registry and the catalog together, so a concurrent change cannot
    /// write its definition back. - Returns: whether this call removed it.
    func remove(_ name: String) throws(ShoalError) -> Bool {
        try writing { () throws(ShoalError) -> Bool in
            guard state.withLock({ $0.tables.removeValue(forKey: name) }) != nil else { return false }
            try Database.storageCall { try catalog.remove(name) }
            return true
        }
    }

    private func writing<T>(_ body: () throws(ShoalError) -> T) throws(ShoalError) -> T {
        try writerLock.withLock { (_: inout Void) throws(ShoalError) -> T in try body() }
    }
}
