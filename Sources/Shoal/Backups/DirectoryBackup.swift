import Foundation
import LMDB

/// How far a long copy has come: bytes written and the expected total (an estimate: a compacting
/// copy writes less than the files hold).
public struct CopyProgress: Sendable {
    public var done: Int
    public var total: Int
}

/// What a whole-directory backup wrote.
public struct DirectoryBackupResult: Sendable {
    public var path: String
    /// Bytes of the environments' compacted copies and of the API backups copied with them.
    public var bytes: Int
    public var shardCount: Int
    public var createdAt: Date
}

/// The manifest at the top of a directory backup (`BACKUP.json`).
struct DirectoryBackupManifest: Codable {
    var format: Int
    var createdAt: Double
    var shardCount: Int
    var bytes: Int

    static let fileName = "BACKUP.json"
    /// Present in a directory while a restore writes into it.
    static let restoringMarker = "RESTORING"
}

extension Database {
    /// Writes a consistent copy of the whole data directory (catalog, every shard, and the
    /// backups of DynamoDB's backup API) into `destination`, which must not exist or be empty,
    /// while the database keeps serving.
    ///
    /// The copy is the state of one instant: with no transaction spanning shards in flight, every
    /// shard writer is parked between two groups and the catalog's write lock is held while each
    /// environment's compacting copy (`mdb_env_copyfd2` with `MDB_CP_COMPACT`) begins its read
    /// transaction; that it has begun shows as its first byte arriving through a pipe. The writers
    /// are then released — they are held for the time LMDB takes to start the copies and write the
    /// first megabyte, not for the copy — and the copies finish from their snapshots. A restored
    /// copy opens like a directory after a crash at that instant, so a commit record of a
    /// transaction spanning shards that was being cleaned up is finished on open.
    public func backUpDirectory(to destination: String, progress: (@Sendable (CopyProgress) -> Void)? = nil)
        async throws(ShoalError) -> DirectoryBackupResult {
        guard !options.readOnly else { throw .validation("A database opened read-only cannot be backed up from; open it for writing") }
        try DirectoryCopy.prepareEmptyDirectory(destination)
        let sources = [(catalog.environment, destination + "/catalog")]
            + shards.map { ($0.environment, destination + "/shards/" + Database.shardFolder($0.index)) }
        let total = sources.reduce(0) { $0 + ($1.0.info().lastPageNumber + 1) * $1.0.statistics().pageSize }
        let available = backups.availableFiles()
        let copies: [EnvironmentCopy]
        do {
            copies = try sources.map { try EnvironmentCopy(environment: $0.0, directory: $0.1) }
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw ShoalError.internalError("Cannot write the backup to \(destination): \(error)")
        }
        let started = Date()
        let reporter = progress.map { report in ProgressTicker(total: total, copies: copies, report: report) }
        let outcome: Result<Int, ShoalError> = await DirectoryCopy.onThread { [self] () -> Result<Int, ShoalError> in
            do {
                try freezeAndStart(copies)
                var bytes = 0
                for copy in copies { bytes += try copy.finish() }
                bytes += try DirectoryCopy.copyFiles(available, into: destination + "/" + BackupStore.folder)
                let manifest = DirectoryBackupManifest(format: 1, createdAt: started.timeIntervalSince1970,
                                                       shardCount: shards.count, bytes: bytes)
                try DirectoryCopy.writeAtomically(try JSONEncoder().encode(manifest),
                                                  to: destination + "/" + DirectoryBackupManifest.fileName)
                return .success(bytes)
            } catch let error as ShoalError {
                return .failure(error)
            } catch {
                return .failure(.internalError("Backup to \(destination) failed: \(error)"))
            }
        }
        reporter?.stop()
        switch outcome {
        case .success(let bytes):
            return DirectoryBackupResult(path: destination, bytes: bytes, shardCount: shards.count, createdAt: started)
        case .failure(let error):
            for copy in copies { copy.abandon() }
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
    }

    /// Starts every copy at one instant (see ``backUpDirectory(to:progress:)``). Blocks the thread.
    private func freezeAndStart(_ copies: [EnvironmentCopy]) throws {
        try transactions.batcher.exclusive(context: batcherContext) {
            try catalog.environment.write { _ in
                let pauses = shards.map { $0.writer.pause() }
                defer { for pause in pauses { pause?.release() } }
                guard pauses.allSatisfy({ $0 != nil }) else { throw ShoalError.internalError("The database is closing") }
                for pause in pauses { pause?.waitUntilParked() }
                for copy in copies { copy.start() }
                for copy in copies { copy.waitUntilBegun() }
            }
        }
    }

    /// Copies a directory backup into `directory`, which must be empty or absent unless
    /// `overwrite` (then its contents are replaced; refused while a process has it open), and
    /// opens the result once, so that it is ready to serve.
    public static func restoreDirectory(from backup: String, to directory: String, overwrite: Bool = false,
                                        progress: (@Sendable (CopyProgress) -> Void)? = nil) async throws(ShoalError) {
        let manifestPath = backup + "/" + DirectoryBackupManifest.fileName
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? JSONDecoder().decode(DirectoryBackupManifest.self, from: data) else {
            throw .validation("\(backup) is not a Shoal backup: it has no readable \(DirectoryBackupManifest.fileName)")
        }
        let outcome: Result<Void, ShoalError> = await DirectoryCopy.onThread { () -> Result<Void, ShoalError> in
            do {
                let lock = try DirectoryCopy.claim(directory, overwrite: overwrite)
                defer { lock.release() }
                // Until the copy is complete the directory says so, and nothing opens it.
                let marker = directory + "/" + DirectoryBackupManifest.restoringMarker
                try DirectoryCopy.writeAtomically(Data("restore from \(backup) in progress\n".utf8), to: marker)
                try DirectoryCopy.copyTree(from: backup, to: directory, total: manifest.bytes, progress: progress)
                try FileManager.default.removeItem(atPath: marker)
                return .success(())
            } catch let error as ShoalError {
                return .failure(error)
            } catch {
                return .failure(.internalError("Restore into \(directory) failed: \(error)"))
            }
        }
        try outcome.get()
        // Opening finishes what the backup's instant left in flight (a commit record being cleaned up).
        do {
            let database = try Database.open(at: directory)
            database.close()
        } catch let error as ShoalError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }
}
