import Foundation
import LMDB

/// What snapshots do to a data directory no process has open: roll its environments back to a
/// snapshot's marks, finish a rollback a crash interrupted, and keep the journals no longer than
/// the snapshots need.
enum SnapshotDirectory {
    static let catalog = "catalog"

    static func shardName(_ index: Int) -> String { "shards/" + Database.shardFolder(index) }

    /// How an environment is opened outside the database (the same limits as inside it).
    static func environmentOptions(_ name: String, options: DatabaseOptions) -> EnvironmentOptions {
        var environment = EnvironmentOptions()
        environment.createDirectory = false
        environment.noSync = options.durability == .noSync
        if name == catalog {
            environment.mapSize = Catalog.mapSize
            environment.maxDatabases = Catalog.maxDatabases
        } else {
            environment.mapSize = options.initialMapSize
            environment.maxMapSize = options.maxMapSize
            environment.maxDatabases = Shard.maxDatabases(options, journaling: true)
        }
        return environment
    }

    /// The registry, with a rollback a crash interrupted finished first.
    static func settle(_ path: String, options: DatabaseOptions) throws(ShoalError) -> SnapshotRegistry {
        var registry = try SnapshotRegistry.load(path)
        if let name = registry.restoring {
            try rollBack(path, to: name, registry: &registry, options: options)
        }
        return registry
    }

    /// Rolls every environment back to the snapshot `name`, records that, and drops the snapshots
    /// taken after it. Each environment rolls back in one transaction; the registry notes the
    /// rollback first, so a crash part-way is finished by the next open. - Returns: undo records applied.
    @discardableResult
    static func rollBack(_ path: String, to name: String, registry: inout SnapshotRegistry,
                         options: DatabaseOptions) throws(ShoalError) -> Int {
        guard let snapshot = registry.snapshot(named: name) else {
            registry.restoring = nil
            try registry.save(path)
            throw ShoalError(.resourceNotFound, "Snapshot \(name) not found")
        }
        if registry.restoring != name {
            registry.restoring = name
            try registry.save(path)
        }
        var applied = 0
        for (environmentName, mark) in snapshot.marks.sorted(by: { $0.key < $1.key }) {
            do {
                let environment = try Environment(path: path + "/" + environmentName,
                                                  options: environmentOptions(environmentName, options: options))
                defer { environment.close() }
                applied += try environment.rollBackJournal(to: mark)
            } catch {
                throw .internalError("Rolling \(path)/\(environmentName) back to snapshot \(name) failed: \(error)")
            }
        }
        registry.snapshots.removeAll { $0.order > snapshot.order }
        registry.restoring = nil
        try registry.save(path)
        return applied
    }

    /// Keeps an open environment's journal as long as the snapshots need it: from the oldest
    /// snapshot's mark on, or none at all when there is no snapshot.
    static func trim(_ environment: Environment, named name: String, registry: SnapshotRegistry) throws {
        if registry.snapshots.isEmpty {
            if try environment.hasJournal() { try environment.trimJournal(before: nil) }
        } else if let oldest = registry.oldestMark(of: name) {
            try environment.trimJournal(before: oldest)
        }
    }
}
