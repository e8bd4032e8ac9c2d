import Foundation

/// A named snapshot of a whole database.
public struct SnapshotDescription: Sendable, Equatable {
    public var name: String
    public var createdAt: Date
}

/// What a rollback did.
public struct SnapshotRestoreReport: Sendable {
    /// Undo records applied (each a key, or a table's database, put back as it was).
    public var changesUndone: Int
    /// From the moment requests stopped until the database answered again.
    public var duration: Duration
}

/// Snapshots and rollback for tests: a named snapshot of every table, index, stream, trigger
/// position, TTL order and setting, and a rollback to it whose cost follows what changed since.
///
/// Taking the first snapshot makes every write also journal what it replaced, in the same LMDB
/// transaction (see ``SnapshotRegistry``); a rollback applies those records in reverse, one
/// transaction per environment, with the database closed and requests held (they wait, then run
/// against the rolled-back database). Deleting the last snapshot stops the journaling. Snapshots
/// are crash-safe: a rollback a crash interrupts is finished when the directory next opens.
///
/// On-demand backup files and export/import job records are files beside the database (like S3
/// objects): snapshots do not roll them back. A reshard needs the snapshots deleted first.
extension DatabaseLifecycle {
    /// Takes the snapshot `name` (1–255 letters, digits, `_`, `-`, `.`; at most 100 per database).
    @discardableResult
    public func createSnapshot(named name: String) async throws(ShoalError) -> SnapshotDescription {
        try SnapshotRegistry.validate(name: name)
        return try await withDatabaseClosed { database, path throws(ShoalError) in
            var registry = try SnapshotRegistry.load(path)
            guard registry.snapshot(named: name) == nil else { throw ShoalError(.resourceInUse, "Snapshot \(name) already exists") }
            guard registry.snapshots.count < SnapshotRegistry.maximumCount else {
                throw ShoalError(.limitExceeded, "A database keeps at most \(SnapshotRegistry.maximumCount) snapshots: delete one first")
            }
            let created = Date()
            registry.snapshots.append(.init(name: name, createdAt: created.timeIntervalSince1970,
                                            marks: database.undoJournalPositions(),
                                            order: (registry.snapshots.map(\.order).max() ?? 0) + 1))
            try registry.save(path)
            return SnapshotDescription(name: name, createdAt: created)
        }
    }

    /// Rolls the whole database back to the snapshot `name`, which stays (roll back to it again
    /// after every test); the snapshots taken after it are dropped.
    @discardableResult
    public func restoreSnapshot(named name: String) async throws(ShoalError) -> SnapshotRestoreReport {
        try SnapshotRegistry.validate(name: name)
        guard try SnapshotRegistry.load(try directory()).snapshot(named: name) != nil else {
            throw ShoalError(.resourceNotFound, "Snapshot \(name) not found")
        }
        let started = ContinuousClock.now
        let applied = try await withDatabaseClosed { database, path throws(ShoalError) in
            var registry = try SnapshotRegistry.load(path)
            return try SnapshotDirectory.rollBack(path, to: name, registry: &registry, options: database.options)
        }
        return SnapshotRestoreReport(changesUndone: applied, duration: ContinuousClock.now - started)
    }

    /// Deletes the snapshot `name` (and, with it, the undo records only it needed).
    public func deleteSnapshot(named name: String) async throws(ShoalError) {
        try SnapshotRegistry.validate(name: name)
        guard try SnapshotRegistry.load(try directory()).snapshot(named: name) != nil else {
            throw ShoalError(.resourceNotFound, "Snapshot \(name) not found")
        }
        try await withDatabaseClosed { _, path throws(ShoalError) in
            var registry = try SnapshotRegistry.load(path)
            guard registry.snapshot(named: name) != nil else { throw ShoalError(.resourceNotFound, "Snapshot \(name) not found") }
            registry.snapshots.removeAll { $0.name == name }
            try registry.save(path)
        }
    }

    /// The snapshots, oldest first.
    public func listSnapshots() throws(ShoalError) -> [SnapshotDescription] {
        try SnapshotRegistry.load(try directory()).snapshots.sorted { $0.order < $1.order }
            .map { SnapshotDescription(name: $0.name, createdAt: Date(timeIntervalSince1970: $0.createdAt)) }
    }

    /// Empties the database: no tables, streams, mappings, backups or snapshots; the shard count
    /// and the functions installed in this process stay.
    public func resetDatabase() async throws(ShoalError) {
        try await withDatabaseClosed { _, path throws(ShoalError) in
            for entry in ["catalog", "shards", BackupStore.folder, SnapshotRegistry.fileName] {
                let target = path + "/" + entry
                guard FileManager.default.fileExists(atPath: target) else { continue }
                do {
                    try FileManager.default.removeItem(atPath: target)
                } catch {
                    throw .internalError("Cannot remove \(target) to reset the database: \(error)")
                }
            }
        }
    }

    private func directory() throws(ShoalError) -> String {
        guard let path, reopen != nil else {
            throw .validation("This database has no snapshots: it was opened without a directory to reopen (use a DatabaseLifecycle with a path and reopen)")
        }
        return path
    }

    /// Runs `body` on the closed directory while requests wait, then opens it again (through
    /// `reopen`, so functions and faults carry over). Should it not open again, the lifecycle is
    /// unavailable, as after a failed reshard.
    private func withDatabaseClosed<T: Sendable>(_ body: (Database, String) async throws(ShoalError) -> T) async throws(ShoalError) -> T {
        let path = try directory()
        let reopen = self.reopen!
        let database = try await beginExclusive()
        // An in-memory database's folder outlives this instance: the reopened one removes it.
        let temporaryFolder = database.handOverTemporaryFolder()
        await database.shutdown()
        let result: Result<T, ShoalError>
        do throws(ShoalError) {
            result = .success(try await body(database, path))
        } catch {
            result = .failure(error)
        }
        do {
            let reopened = try await reopen(database)
            reopened.adoptTemporaryFolder(temporaryFolder)
            endExclusive(serving: .success(reopened))
        } catch {
            if let temporaryFolder { try? FileManager.default.removeItem(atPath: temporaryFolder) }
            let unavailable = ShoalError.internalError("The data directory \(path) could not be opened again: \(error)")
            endExclusive(serving: .failure(unavailable))
            throw unavailable
        }
        return try result.get()
    }
}

extension Database {
    /// Where each environment's undo journal stands (0 where none is kept: it starts empty).
    func undoJournalPositions() -> [String: UInt64] {
        var marks = [SnapshotDirectory.catalog: catalog.environment.undoJournalPosition ?? 0]
        for shard in shards { marks[SnapshotDirectory.shardName(shard.index)] = shard.environment.undoJournalPosition ?? 0 }
        return marks
    }
}
