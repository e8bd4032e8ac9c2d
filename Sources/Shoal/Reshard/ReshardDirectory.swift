import Foundation
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// A data directory held for resharding: its lock, catalog and every shard, old and new.
final class ReshardDirectory {
    let path: String
    private let lock: DirectoryLock
    let catalog: Catalog
    private let options: DatabaseOptions
    private let definitions: [TableDefinition]
    /// Every stream still within retention, and the lineage of those resharded before.
    let streams: [StreamDefinition]
    let lineages: [String: StreamLineage]
    private(set) var shards: [Shard] = []
    /// Each shard's items database of each table (by table id), as opened.
    private(set) var itemDatabases: [[String: LMDB.Database]] = []
    /// Testing only: SIGKILL this process (or, `failing`, throw) after this many writer units of
    /// this phase (see ``Reshard/run``).
    var crashAt: (phase: ReshardState.Phase, units: Int, failing: Bool)?
    private var unitsDone = 0

    func unitDone(_ phase: ReshardState.Phase) throws {
        guard let crashAt, crashAt.phase == phase else { return }
        unitsDone += 1
        guard unitsDone >= crashAt.units else { return }
        if crashAt.failing { throw ShoalError.internalError("Test failure after \(unitsDone) units of the \(phase.rawValue) phase") }
        kill(getpid(), SIGKILL)
    }

    /// An unfinished reshard recorded in the directory's catalog.
    static func pendingState(_ path: String) throws -> ReshardState? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path + "/catalog", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ShoalError.validation("No Shoal data directory at \(path)")
        }
        let catalog = try Catalog(path: path + "/catalog", noSync: true, readOnly: true)
        defer { catalog.environment.close() }
        return try catalog.reshardState()
    }

    /// Refuses what must finish first.
    static func checkReady(_ database: Database) throws {
        // Undo journals record writes per shard; items moving between shards would make them wrong.
        if !(try SnapshotRegistry.load(database.path)).snapshots.isEmpty {
            throw ShoalError.validation("The data directory has snapshots: delete them (DeleteSnapshot) before resharding")
        }
        for name in database.tableNames() {
            guard let definition = database.lookup(name)?.definition else { continue }
            if definition.allIndexes.contains(where: { $0.status != .active }) {
                throw ShoalError.validation("Table \(name) has an index being created or deleted: start the server until it is ACTIVE, then reshard")
            }
            if definition.timeToLive?.backfilling == true || definition.isLoading {
                throw ShoalError.validation("Table \(name) is still being prepared (time to live being enabled, a restore or an import): start the server until it is done, then reshard")
            }
        }
    }

    init(path: String, durability: Durability) throws {
        self.path = path
        lock = try DirectoryLock(directory: path)
        catalog = try Catalog(path: path + "/catalog", noSync: durability == .noSync)
        options = DatabaseOptions(durability: durability)
        definitions = try catalog.allTables()
        streams = try catalog.allStreams()
        lineages = try catalog.streamLineages()
    }

    func close() {
        for shard in shards {
            shard.writer.stop()
            shard.environment.close()
        }
        shards = []
        catalog.environment.close()
        lock.release()
    }

    /// - Parameter precopy: what an online reshard copied while the database served (growth only).
    func run(target: Int, rollBack: Bool, precopy: ReshardPreCopy? = nil, progress: (@Sendable (Int, Int) -> Void)?) async throws -> ReshardReport {
        let layout = try catalog.storedLayout()
        var state = try catalog.reshardState()
        var fast = false
        if rollBack {
            guard let pending = state else { throw ShoalError.validation("There is no interrupted reshard to roll back in \(path)") }
            guard pending.phase == .copy else {
                throw ShoalError.validation("The reshard from \(pending.from) to \(pending.to) shards passed its commit point: it can only be finished, by resharding to \(pending.to) shards again")
            }
            try openShards(max(pending.from, pending.to))
            let ring = HashRing(shardCount: pending.from, virtualNodes: layout.virtualNodes)
            let removed = try await cleanUp(ring: ring, keep: pending.from, archiving: false, progress: progress)
            try catalog.setReshardState(nil)
            return ReshardReport(from: pending.to, to: pending.from, items: try itemCount(), moved: removed, duration: .zero, rolledBack: true)
        }
        if var pending = state {
            guard pending.to == target else {
                throw ShoalError.validation("An interrupted reshard from \(pending.from) to \(pending.to) shards is in this directory: reshard to \(pending.to) shards to finish it\(pending.phase == .copy ? ", or roll it back" : "")")
            }
            if pending.phase == .copy && pending.online == true {
                // Copies made while a server wrote may be stale: start the copy afresh.
                try removeShardFolders(from: pending.from)
                pending.online = nil
                try catalog.setReshardState(pending)
                state = pending
            }
        } else {
            guard target != layout.shardCount else { throw ShoalError.validation("\(path) already has \(target) shards") }
            fast = precopy?.matches(definitions, from: layout.shardCount, to: target) == true
            // Shard folders past the layout are left by an online copy that did not finish.
            if !fast { try removeShardFolders(from: layout.shardCount) }
            state = ReshardState(from: layout.shardCount, to: target, phase: .copy, online: fast ? true : nil)
            try catalog.setReshardState(state)
        }
        guard var state else { throw ShoalError.internalError("no reshard state") }
        try openShards(max(state.from, state.to))
        let ring = HashRing(shardCount: state.to, virtualNodes: layout.virtualNodes)
        if state.phase == .copy {
            if fast, let precopy {
                try await copyWritten(precopy.written, from: HashRing(shardCount: state.from, virtualNodes: layout.virtualNodes), to: ring)
            } else {
                try await copy(sources: state.from, ring: ring, progress: progress)
            }
            let lineages = try await prepareStreams(from: HashRing(shardCount: state.from, virtualNodes: layout.virtualNodes), to: ring)
            // The commit point: from here the new ring rules, and the streams' new shards.
            state.phase = .cleanup
            // Items moved between shards leave their recovery history behind: a restore can reach
            // back to this commit only.
            let now = Date().timeIntervalSince1970
            let recovering = definitions.filter { $0.pointInTimeRecovery != nil }.map { definition in
                var definition = definition
                if var recovery = definition.pointInTimeRecovery {
                    recovery.since = max(recovery.since, now)
                    definition.pointInTimeRecovery = recovery
                }
                return definition
            }
            try catalog.setReshardState(state, shardCount: state.to, lineages: lineages, tables: recovering)
        }
        let moved: Int
        if fast, let precopy {
            moved = try await cleanUpMoved(precopy, ring: ring)
        } else {
            moved = try await cleanUp(ring: ring, keep: state.to, archiving: true, progress: progress)
        }
        try catalog.setReshardState(nil)
        return ReshardReport(from: state.from, to: state.to, items: try itemCount(), moved: moved, duration: .zero, rolledBack: false)
    }

    // MARK: Shards

    private func openShards(_ count: Int) throws {
        for index in 0..<count {
            let (shard, items) = try ReshardDirectory.openShard(path: path + "/shards/" + Database.shardFolder(index), index: index,
                                                                options: options, definitions: definitions, streams: streams)
            shards.append(shard)
            itemDatabases.append(items)
        }
    }

    /// Opens (creating) a shard for resharding with every table's databases, time to live and
    /// every stream's database. - Returns: the shard and its items databases by table id.
    static func openShard(path: String, index: Int, options: DatabaseOptions, definitions: [TableDefinition],
                          streams: [StreamDefinition]) throws -> (Shard, [String: LMDB.Database]) {
        let live = Dictionary(definitions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let shard = try Shard(path: path, index: index, options: options, liveTables: live, streams: streams)
        do {
            var tables = shard.tableStorage
            // The schema funnel's shard step: items, indexes, live stream and time to live (the
            // writers must maintain expiry entries of moved items; a copy appends no stream record).
            for definition in definitions where tables[definition.id] == nil {
                tables[definition.id] = try shard.writer.performSync { try $0.applyTable(definition) }
            }
            // Every stream has its database in every shard (a new shard's stays empty until the server writes).
            for stream in streams where shard.streamDatabases[stream.id] == nil {
                let id = stream.id
                _ = try shard.writer.performSync { try $0.openStreamDatabase(id) }
            }
            return (shard, tables.mapValues(\.items))
        } catch {
            shard.writer.stop()
            shard.environment.close()
            throw error
        }
    }

    /// One writer unit: deletes the items under `keys` from `shard` with their index and expiry
    /// entries, and no stream record; a table with neither is spared decoding the items.
    /// - Returns: the items deleted.
    static func deleteItems(_ keys: [[UInt8]], tableID: String, from shard: Shard) async throws -> Int {
        try await shard.writer.perform { context in
            let table = try context.table(tableID)
            var deleted = 0
            for key in keys {
                guard let stored = try context.get(table.items, key: key) else { continue }
                if table.needsOldImage(for: .reshardCopy) {
                    let decoded = try ShardLayout.decodeValue(stored)
                    try context.writeItem(table, tableID: tableID, key: key, old: OldItem(item: decoded.item, size: decoded.size), new: nil,
                                          origin: .reshardCopy)
                } else {
                    try context.removeItem(table, tableID: tableID, key: key, size: try ShardLayout.storedSize(stored), origin: .reshardCopy)
                }
                deleted += 1
            }
            return deleted
        }
    }

    /// One writer unit: stores each item (or deletes it, value nil) in `shard` with its index and
    /// expiry entries, and no stream record.
    static func writeCopies(_ entries: [(key: [UInt8], value: [UInt8]?)], tableID: String, into shard: Shard) async throws {
        try await shard.writer.perform { context in
            let table = try context.table(tableID)
            for (key, value) in entries {
                let old = try context.get(table.items, key: key).map { stored throws in
                    let decoded = try ShardLayout.decodeValue(stored)
                    return OldItem(item: decoded.item, size: decoded.size)
                }
                if let value {
                    let (item, size) = try ShardLayout.decodeValue(value)
                    try context.writeItem(table, tableID: tableID, key: key, old: old, new: NewItem(item: item, value: value, size: size),
                                          origin: .reshardCopy)
                } else if old != nil {
                    try context.writeItem(table, tableID: tableID, key: key, old: old, new: nil, origin: .reshardCopy)
                }
            }
        }
    }

    private func itemCount() throws -> Int {
        var total = 0
        for shard in shards {
            try shard.environment.read { txn in
                for definition in definitions {
                    guard let items = itemDatabases[shard.index][definition.id] else { continue }
                    total += try txn.statistics(items).entries
                }
            }
        }
        return total
    }

    /// Entries of a table in a shard after `key`, read in their own snapshot.
    private func entries(_ shard: Shard, _ tableID: String, after key: [UInt8]?) throws -> [(key: [UInt8], value: [UInt8])] {
        guard let items = itemDatabases[shard.index][tableID] else { return [] }
        return try shard.environment.read { txn in try txn.entries(items, after: key, limit: Reshard.batch) }
    }

    static func owner(_ key: [UInt8], _ ring: HashRing) -> Int {
        ring.shard(for: key.prefix(KeyEncoding.tokenSize).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    // MARK: Phases

    /// Copies every item of the first `sources` shards whose owner under `ring` is another shard there.
    private func copy(sources: Int, ring: HashRing, progress: (@Sendable (Int, Int) -> Void)?) async throws {
        let total = try itemCount()
        var examined = 0
        for source in 0..<sources {
            for definition in definitions {
                let tableID = definition.id
                var after: [UInt8]?
                while true {
                    let batch = try entries(shards[source], tableID, after: after)
                    guard let last = batch.last else { break }
                    after = last.key
                    examined += batch.count
                    var byOwner: [Int: [(key: [UInt8], value: [UInt8])]] = [:]
                    for entry in batch {
                        let owner = ReshardDirectory.owner(entry.key, ring)
                        if owner != source { byOwner[owner, default: []].append(entry) }
                    }
                    for (owner, moving) in byOwner {
                        try await ReshardDirectory.writeCopies(moving.map { ($0.key, Optional($0.value)) }, tableID: tableID, into: shards[owner])
                        try unitDone(.copy)
                    }
                    progress?(examined, total)
                }
            }
        }
    }

    /// Deletes from every shard the items `ring` places elsewhere, then removes the shards from
    /// `keep` on (`archiving`: after moving their stream records to shard 0). - Returns: the items deleted.
    private func cleanUp(ring: HashRing, keep: Int, archiving: Bool, progress: (@Sendable (Int, Int) -> Void)?) async throws -> Int {
        var deleted = 0
        for shard in shards {
            for definition in definitions {
                let tableID = definition.id
                var after: [UInt8]?
                while true {
                    let batch = try entries(shard, tableID, after: after)
                    guard let last = batch.last else { break }
                    after = last.key
                    let leaving = batch.map(\.key).filter { ReshardDirectory.owner($0, ring) != shard.index }
                    guard !leaving.isEmpty else { continue }
                    deleted += leaving.count
                    _ = try await ReshardDirectory.deleteItems(leaving, tableID: tableID, from: shard)
                    try unitDone(.cleanup)
                }
            }
        }
        progress?(deleted, deleted)
        if archiving {
            for shard in shards where shard.index >= keep { try await archiveStreams(of: shard) }
        }
        // Removed shards are empty now: their folders go (a crash before this removes them next time).
        for shard in shards where shard.index >= keep {
            shard.writer.stop()
            shard.environment.close()
            try FileManager.default.removeItem(atPath: path + "/shards/" + Database.shardFolder(shard.index))
        }
        shards.removeAll { $0.index >= keep }
        itemDatabases.removeLast(max(0, itemDatabases.count - keep))
        return deleted
    }
}
