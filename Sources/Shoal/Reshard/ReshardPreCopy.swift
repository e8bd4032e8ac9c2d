import Foundation
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// What a growing reshard copied into the new shards while the database served: the new shards
/// hold a copy of every moving item as the copy read it, and the shard writers noted every moving
/// item written since. Once the database is closed, ``Reshard/run`` copies just those and deletes
/// just the moved items from their old shards, so the pause is a fraction of the whole reshard.
public struct ReshardPreCopy: Sendable {
    let from: Int
    let to: Int
    /// The tables when the copy started: any change of tables, indexes or time to live meanwhile
    /// makes the reshard copy everything again.
    let tables: [TableDefinition]
    /// Per old shard, per table id: the keys copied out of it.
    var moved: [Int: [String: [[UInt8]]]] = [:]
    /// The moving keys written while the copy ran (complete once the database is closed).
    var written: Set<ReshardTracking.TrackedKey> = []

    /// Items copied (an item copied again after a write counts again), for the report.
    public var copied: Int { moved.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    /// Whether the directory's tables are still those the copy saw.
    func matches(_ definitions: [TableDefinition], from: Int, to: Int) -> Bool {
        func shape(_ d: TableDefinition) -> String {
            d.id + "|" + d.allIndexes.map { "\($0.id):\($0.status)" }.sorted().joined(separator: ",") + "|" + (d.timeToLive?.attributeName ?? "")
        }
        return self.from == from && self.to == to && Set(tables.map(shape)) == Set(definitions.map(shape))
    }
}

extension Database {
    /// Items copied per writer unit while serving.
    static let precopyBatch = 512

    /// The part of a growing reshard done while this database serves: opens the new shards next to
    /// the live ones, starts noting the moving items written (every write after this waits for no
    /// one), copies every moving item into its new shard, and then copies again the items written
    /// meanwhile until few are left. Nil when `shardCount` does not grow the directory (a shrink
    /// moves items into live shards, so it is done whole while the database is closed).
    /// Hand the result to ``Reshard/run`` after closing the database, with
    /// ``finishPrecopy(_:)`` called between the two.
    /// `testCrashAt`: testing only, `precopy:N` kills the process (SIGKILL) after N writer units.
    public func precopyForReshard(to shardCount: Int, testCrashAt: String? = nil,
                                  progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(ShoalError) -> ReshardPreCopy? {
        guard shardCount > shards.count, !options.readOnly else { return nil }
        try Reshard.checkReady(self, shardCount: shardCount)
        var crashAfter: Int?
        if let parts = testCrashAt?.split(separator: ":"), parts.count == 2, parts[0] == "precopy" { crashAfter = Int(parts[1]) }
        do {
            return try await precopy(to: shardCount, crashAfter: crashAfter, progress: progress)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw .internalError("The online copy for resharding failed: \(error)")
        }
    }

    /// Stops noting writes (call once the database is closed, so that nothing more is written)
    /// and completes the pre-copy with what was noted.
    public func finishPrecopy(_ precopy: inout ReshardPreCopy) {
        precopy.written.formUnion(reshardTracking.stop())
    }

    private func precopy(to target: Int, crashAfter: Int?, progress: (@Sendable (Int, Int) -> Void)?) async throws -> ReshardPreCopy {
        let from = shards.count
        let layout = try catalog.storedLayout()
        let ring = HashRing(shardCount: target, virtualNodes: layout.virtualNodes)
        let tables = tableNames().compactMap { lookup($0) }
        var plan = ReshardPreCopy(from: from, to: target, tables: tables.map(\.definition))
        var copyOptions = options
        copyOptions.metricsFactory = nil
        var opened: [Shard] = []
        defer {
            for shard in opened {
                shard.writer.stop()
                shard.environment.close()
            }
        }
        do {
            // Leftovers of an online copy that did not finish go first.
            for index in from..<999 {
                let folder = path + "/shards/" + Database.shardFolder(index)
                guard FileManager.default.fileExists(atPath: folder) else { break }
                try FileManager.default.removeItem(atPath: folder)
            }
            let streams = try catalog.allStreams()
            for index in from..<target {
                opened.append(try ReshardDirectory.openShard(path: path + "/shards/" + Database.shardFolder(index), index: index,
                                                             options: copyOptions, definitions: plan.tables, streams: streams).0)
            }
            reshardTracking.start(ring: ring)
            // Every write group begun before noting started has committed once each writer ran this.
            for shard in shards { try await shard.writer.perform { _ in } }
            let total = tables.reduce(0) { $0 + ((try? self.itemCount(of: $1)) ?? 0) }
            var examined = 0
            var units = 0
            for source in 0..<from {
                for table in tables {
                    var after: [UInt8]?
                    while true {
                        // A table deleted meanwhile is left (the reshard then copies everything again).
                        guard lookup(table.definition.name)?.definition.id == table.definition.id else { break }
                        let batch = try readEntries(table, shard: source, after: after)
                        guard let last = batch.last else { break }
                        after = last.key
                        examined += batch.count
                        var byOwner: [Int: [(key: [UInt8], value: [UInt8]?)]] = [:]
                        for entry in batch {
                            let owner = ReshardDirectory.owner(entry.key, ring)
                            if owner >= from { byOwner[owner, default: []].append((entry.key, entry.value)) }
                        }
                        for (owner, moving) in byOwner {
                            try await ReshardDirectory.writeCopies(moving, tableID: table.definition.id, into: opened[owner - from])
                            plan.moved[source, default: [:]][table.definition.id, default: []] += moving.map(\.key)
                            units += 1
                            if let crashAfter, units >= crashAfter { kill(getpid(), SIGKILL) }
                        }
                        progress?(examined, total)
                    }
                }
            }
            // Catch up with what was written meanwhile, a few rounds, while the database serves.
            let oldRing = HashRing(shardCount: from, virtualNodes: layout.virtualNodes)
            for _ in 0..<5 {
                let written = reshardTracking.take()
                guard !written.isEmpty else { break }
                try await copyCurrent(written, tables: tables, from: oldRing, to: ring, into: opened, plan: &plan)
                if reshardTracking.count < 1000 { break }
            }
            return plan
        } catch {
            _ = reshardTracking.stop()
            for shard in opened {
                shard.writer.stop()
                shard.environment.close()
            }
            opened = []
            for index in from..<target {
                try? FileManager.default.removeItem(atPath: path + "/shards/" + Database.shardFolder(index))
            }
            throw error
        }
    }

    /// Copies the current state of noted keys from their old shards into their new ones.
    private func copyCurrent(_ written: Set<ReshardTracking.TrackedKey>, tables: [TableHandle], from oldRing: HashRing, to ring: HashRing,
                             into opened: [Shard], plan: inout ReshardPreCopy) async throws {
        let byID = Dictionary(tables.map { ($0.definition.id, $0) }, uniquingKeysWith: { a, _ in a })
        var groups: [String: [TrackedKeyGroup]] = [:]
        for entry in written {
            groups[entry.tableID, default: []].append(TrackedKeyGroup(key: entry.key, source: ReshardDirectory.owner(entry.key, oldRing),
                                                                      owner: ReshardDirectory.owner(entry.key, ring)))
        }
        for (tableID, keys) in groups {
            guard let table = byID[tableID], lookup(table.definition.name)?.definition.id == tableID else { continue }
            for (source, fromSource) in Dictionary(grouping: keys, by: \.source) {
                let values = try runSync {
                    try snapshot(shards[source]) { txn in
                        try fromSource.map { entry in (entry, try txn.get(table.items(source), key: entry.key)) }
                    }
                }
                for (owner, moving) in Dictionary(grouping: values, by: \.0.owner) where owner >= plan.from {
                    try await ReshardDirectory.writeCopies(moving.map { ($0.0.key, $0.1) }, tableID: tableID, into: opened[owner - plan.from])
                    plan.moved[source, default: [:]][tableID, default: []] += moving.map(\.0.key)
                }
            }
        }
    }

    /// Up to a batch of a table's entries in one shard after `key`, in one short snapshot.
    private func readEntries(_ table: TableHandle, shard: Int, after key: [UInt8]?) throws -> [(key: [UInt8], value: [UInt8])] {
        try snapshot(shards[shard]) { txn in try txn.entries(table.items(shard), after: key, limit: Database.precopyBatch) }
    }

    private func itemCount(of table: TableHandle) throws -> Int {
        var total = 0
        for index in shards.indices {
            total += try shards[index].environment.read { txn in try txn.statistics(table.items(index)).entries }
        }
        return total
    }
}

private struct TrackedKeyGroup {
    var key: [UInt8]
    var source: Int
    var owner: Int
}

extension ReshardDirectory {
    /// Removes the shard folders from `index` on (those a reshard that did not finish created).
    func removeShardFolders(from index: Int) throws {
        for folder in index..<999 {
            let folderPath = path + "/shards/" + Database.shardFolder(folder)
            guard FileManager.default.fileExists(atPath: folderPath) else { break }
            try FileManager.default.removeItem(atPath: folderPath)
        }
    }

    /// The fast path's copy phase: brings the noted keys up to date in their new shards.
    func copyWritten(_ written: Set<ReshardTracking.TrackedKey>, from oldRing: HashRing, to ring: HashRing) async throws {
        // Counts as a unit of the copy phase for the crash tests, however little was written.
        try unitDone(.copy)
        var groups: [String: [(key: [UInt8], source: Int, owner: Int)]] = [:]
        for entry in written {
            groups[entry.tableID, default: []].append((entry.key, ReshardDirectory.owner(entry.key, oldRing), ReshardDirectory.owner(entry.key, ring)))
        }
        for (tableID, keys) in groups {
            for (source, fromSource) in Dictionary(grouping: keys, by: \.source) {
                guard let items = itemDatabases[source][tableID] else { continue }
                let values = try shards[source].environment.read { txn in
                    try fromSource.map { entry in (entry, try txn.get(items, key: entry.key)) }
                }
                for (owner, moving) in Dictionary(grouping: values, by: \.0.owner) where owner != source {
                    try await ReshardDirectory.writeCopies(moving.map { ($0.0.key, $0.1) }, tableID: tableID, into: shards[owner])
                    try unitDone(.copy)
                }
            }
        }
    }

    /// The fast path's cleanup: deletes from each old shard the items it copied out and the noted
    /// ones the new ring places elsewhere, the old shards in parallel. - Returns: the items deleted.
    func cleanUpMoved(_ precopy: ReshardPreCopy, ring: HashRing) async throws -> Int {
        var leaving: [Int: [String: Set<[UInt8]>]] = [:]
        for (source, tables) in precopy.moved {
            for (tableID, keys) in tables { leaving[source, default: [:]][tableID, default: []].formUnion(keys) }
        }
        let oldRing = HashRing(shardCount: precopy.from, virtualNodes: ring.virtualNodes)
        for entry in precopy.written where ReshardDirectory.owner(entry.key, ring) != ReshardDirectory.owner(entry.key, oldRing) {
            leaving[ReshardDirectory.owner(entry.key, oldRing), default: [:]][entry.tableID, default: []].insert(entry.key)
        }
        // Per old shard, its units: a table and up to a batch of its keys, in key order.
        var work: [(shard: Shard, units: [(tableID: String, keys: [[UInt8]])])] = []
        for (source, tables) in leaving.sorted(by: { $0.key < $1.key }) {
            var units: [(tableID: String, keys: [[UInt8]])] = []
            for (tableID, keys) in tables where itemDatabases[source][tableID] != nil {
                let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
                for start in stride(from: 0, to: sorted.count, by: Reshard.batch) {
                    units.append((tableID, Array(sorted[start..<min(start + Reshard.batch, sorted.count)])))
                }
            }
            work.append((shards[source], units))
        }
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for (shard, units) in work {
                group.addTask {
                    var deleted = 0
                    for unit in units {
                        deleted += try await ReshardDirectory.deleteItems(unit.keys, tableID: unit.tableID, from: shard)
                    }
                    return deleted
                }
            }
            var deleted = 0
            for try await count in group {
                deleted += count
                try unitDone(.cleanup)
            }
            return deleted
        }
    }
}
