import CoreMetrics
import Foundation
import LMDB
import Logging
import Synchronization

/// Whether an acknowledged write is on disk.
public enum Durability: String, Sendable, CaseIterable {
    /// Every commit is flushed before the write returns (concurrent writes share one flush).
    case sync
    /// Commits are not flushed: much faster; a crash of the machine may lose the latest writes
    /// (LMDB never corrupts). A crash of the process alone loses nothing.
    case noSync = "nosync"
}

/// How to open a ``Database``.
public struct DatabaseOptions: Sendable {
    /// Shards of a new data directory (an existing one keeps its own).
    public var shardCount: Int = 4
    public var durability: Durability = .sync
    /// Initial memory map of each shard; maps grow on demand up to `maxMapSize`.
    public var initialMapSize: Int = 1 << 30
    public var maxMapSize: Int = 1 << 40
    /// The region shown in table ARNs.
    public var region: String = "us-east-1"
    /// Open an existing directory for reading only: nothing is created or changed, writes fail,
    /// and no lock is taken, so it works beside the process that owns the directory.
    public var readOnly: Bool = false
    /// How long change-stream records stay readable (DynamoDB Streams: 24 hours). Older records
    /// are trimmed in the background, and a disabled or deleted table's stream goes away with its
    /// last records.
    public var streamRetention: Duration = .seconds(24 * 3600)
    /// The first retry delay of a trigger whose function failed; each retry doubles it, up to
    /// `triggerRetryCap`.
    public var triggerRetryBase: Duration = .milliseconds(500)
    public var triggerRetryCap: Duration = .seconds(30)
    /// How often the background expirer deletes items whose time to live has passed.
    public var timeToLivePeriod: Duration = .seconds(2)
    /// The time everything reads (see ``ShoalClock``): the system's, or a manual clock a test
    /// sets and advances. A database opened again (a rollback, a reshard) keeps the same clock.
    public var clock = ShoalClock()
    /// Throttle provisioned tables and global indexes by their read and write capacity (see
    /// ``CapacityEnforcer``); off: provisioned throughput is recorded and reported only.
    public var enforceCapacity = false
    /// Testing only: the process kills itself (SIGKILL) at this step of committing a transaction
    /// that spans shards (`planned`, `record-written`, `record-committed`, `part-committed`,
    /// `all-committed`, `record-cleared`), so crash recovery can be tested at each step.
    public var testCrashPoint: String?
    /// Where the shard writers report group-commit sizes and durations (swift-metrics); nil uses
    /// the process's bootstrapped `MetricsSystem` (which discards them unless bootstrapped).
    public var metricsFactory: (any MetricsFactory)?
    /// Where background work reports its failures (a server passes its own logger).
    public var logger = Logger(label: "shoal")
    /// LMDB databases per shard environment: one per table, secondary index and stream, plus those
    /// of deleted tables and indexes in quarantine.
    var maxDatabasesPerShard: UInt32 = 4096
    /// How long a deleted table's emptied database stays open before its slot may be reused.
    var deletedTableGrace: Duration = .seconds(30)
    /// Start the background work on open (triggers, expirer, retention, backfills, restores);
    /// off while a maintenance command (resharding) has the directory.
    var startsBackgroundWork = true

    public init(shardCount: Int = 4, durability: Durability = .sync, readOnly: Bool = false) {
        self.shardCount = shardCount
        self.durability = durability
        self.readOnly = readOnly
    }
}

/// An open Shoal data directory: the catalog and the shards. Its methods are DynamoDB's
/// operations (`putItem`, `query`, …); ``table(_:)`` gives a friendlier handle on the same.
///
/// ```swift
/// let db = try Database.open(at: "/tmp/shoal")
/// try await db.createTable(CreateTableRequest(tableName: "Users", partitionKey: ("id", .s)))
/// try await db.table("Users").put(["id": "u1", "name": "Ada"])
/// ```
public final class Database: Sendable {
    public let path: String
    public let options: DatabaseOptions
    let catalog: Catalog
    let shards: [Shard]
    let ring: HashRing
    /// The live tables and their definitions (see ``alterTable(_:id:_:)`` for how they change).
    let tables: TableRegistry
    /// The readable change streams and the signal that wakes their subscribers.
    let streamService: StreamService
    /// Reads that keep a snapshot open for long (table backups, exports).
    let longReads = LongReads()
    /// Notes the moving items written while an online reshard copies (see ``ReshardTracking``).
    let reshardTracking = ReshardTracking()
    /// Functions and running event source mappings.
    let triggerService = TriggerService()
    /// The commit gate, item locks, idempotency tokens and cross-shard batcher.
    let transactions = TransactionCoordinator()
    /// Held for the life of a writable database: one process owns a data directory.
    private let directoryLock: DirectoryLock?
    /// DynamoDB's on-demand backups (`DIR/backups/`).
    let backups: BackupStore
    /// Seals the tokens handed to clients (shard iterators, list markers) with the directory's secret.
    let tokens: TokenSealer
    /// PartiQL statements parsed before, by their text.
    let partiQLStatements = PartiQLStatementCache()
    /// Background work: restores, backfills, table backups, transaction clean-ups, and the loops
    /// of stream retention and the time to live expirer (cancelled and awaited on shutdown).
    let jobs: BackgroundJobs
    /// The heavy-hitter sketches of contributor insights (memory only).
    let insights = ContributorInsightsService()
    /// Faults a test injected (see ``injectFault(_:)``).
    let faults = FaultRegistry()
    /// The capacity buckets of provisioned tables (used when `options.enforceCapacity`).
    let capacityEnforcer = CapacityEnforcer()
    /// The folder `close()` removes: an in-memory database's (see ``open(inMemory:)``).
    let temporaryFolder = Mutex<String?>(nil)

    /// Opens the data directory at `path`, creating it (with `options.shardCount` shards) if needed,
    /// or, with `options.readOnly`, opens an existing one without changing it.
    /// - Throws: ``ShoalError`` when the directory cannot be opened, does not exist (read-only),
    ///   or is in use by another process.
    public static func open(at path: String, options: DatabaseOptions = DatabaseOptions()) throws -> Database {
        do {
            return try Database(path: path, options: options)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError.internalError("Cannot open the data directory \(path): \(error)")
        }
    }

    private init(path: String, options: DatabaseOptions) throws {
        let commitSignal = CommitSignal()
        guard (1...999).contains(options.shardCount) else {
            throw ShoalError.validation("shardCount must be between 1 and 999")
        }
        self.path = path
        self.options = options
        jobs = BackgroundJobs(logger: options.logger)
        guard !FileManager.default.fileExists(atPath: path + "/" + DirectoryBackupManifest.restoringMarker) else {
            throw ShoalError.internalError("\(path) holds an interrupted restore: restore into it again, overwriting it")
        }
        if options.readOnly {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path + "/catalog", isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ShoalError.internalError("No Shoal data directory at \(path)")
            }
            directoryLock = nil
        } else {
            directoryLock = try DirectoryLock(directory: path)
        }
        backups = BackupStore(directory: path + "/" + BackupStore.folder, readOnly: options.readOnly)
        // Snapshots: a rollback a crash interrupted is finished before anything opens.
        let snapshots = options.readOnly ? SnapshotRegistry() : try SnapshotDirectory.settle(path, options: options)
        let journaling = !snapshots.snapshots.isEmpty
        catalog = try Catalog(path: path + "/catalog", noSync: options.durability == .noSync, readOnly: options.readOnly,
                              undoJournal: journaling ? snapshots.nextAtLeast(of: SnapshotDirectory.catalog) : nil)
        tokens = TokenSealer(secret: try catalog.tokenSecret(readOnly: options.readOnly))
        if let reshard = try catalog.reshardState() {
            throw ShoalError.internalError("\(path) holds an interrupted reshard from \(reshard.from) to \(reshard.to) shards: reshard it to \(reshard.to) shards to finish it\(reshard.phase == .copy ? ", or roll it back" : "")")
        }
        let layout = options.readOnly ? try catalog.storedLayout()
            : try catalog.layout(proposing: .init(shardCount: options.shardCount, virtualNodes: HashRing.defaultVirtualNodes))
        ring = HashRing(shardCount: layout.shardCount, virtualNodes: layout.virtualNodes)
        let definitions = try Database.settledDefinitions(catalog, readOnly: options.readOnly)
        let live = Dictionary(definitions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let streamDefinitions = try Database.settleStreams(try catalog.allStreams(), tables: live, catalog: options.readOnly ? nil : catalog)
        var shards: [Shard] = []
        for index in 0..<layout.shardCount {
            shards.append(try Shard(path: path + "/shards/" + Database.shardFolder(index), index: index, options: options,
                                    liveTables: live, streams: streamDefinitions, commitSignal: commitSignal, longReads: longReads,
                                    tracking: reshardTracking,
                                    undoJournal: journaling ? snapshots.nextAtLeast(of: SnapshotDirectory.shardName(index)) : nil))
        }
        self.shards = shards
        if !options.readOnly {
            try SnapshotDirectory.trim(catalog.environment, named: SnapshotDirectory.catalog, registry: snapshots)
            for shard in shards { try SnapshotDirectory.trim(shard.environment, named: SnapshotDirectory.shardName(shard.index), registry: snapshots) }
        }
        let handles = try Database.tableHandles(definitions, shards: shards, readOnly: options.readOnly)
        tables = TableRegistry(catalog: catalog, tables: handles)
        streamService = StreamService(handles: Database.streamHandles(streamDefinitions, lineages: try catalog.streamLineages(), shards: shards, tables: handles),
                                      commitSignal: commitSignal)
        try recoverTransactions()
        if options.startsBackgroundWork { startBackgroundWork() }
    }

    /// The catalog's table definitions, with an index deletion a crash interrupted finished (its
    /// databases go when the shards open, as databases no definition names).
    private static func settledDefinitions(_ catalog: Catalog, readOnly: Bool) throws -> [TableDefinition] {
        var definitions = try catalog.allTables()
        try catalog.checkFormat(tables: definitions, readOnly: readOnly)
        guard !readOnly else { return definitions }
        for (i, definition) in definitions.enumerated() where definition.allIndexes.contains(where: { $0.status == .deleting }) {
            definitions[i].indexes = definition.allIndexes.filter { $0.status != .deleting }
            if definitions[i].indexes?.isEmpty == true { definitions[i].indexes = nil }
            try catalog.replace(definitions[i])
        }
        return definitions
    }

    /// Each table's handle from the storage the shards opened. A table a shard lacks databases of
    /// (a crash inside the schema funnel, after its catalog step) gets that shard's step run again;
    /// read-only, such a table is skipped (its owner completes it on open).
    private static func tableHandles(_ definitions: [TableDefinition], shards: [Shard], readOnly: Bool) throws -> [String: TableHandle] {
        var handles: [String: TableHandle] = [:]
        for definition in definitions {
            var storages: [TableStorage] = []
            for shard in shards {
                if let storage = shard.tableStorage[definition.id] {
                    storages.append(storage)
                } else if readOnly {
                    break
                } else {
                    storages.append(try shard.writer.performSync { try $0.applyTable(definition) })
                }
            }
            guard storages.count == shards.count else { continue }
            handles[definition.name] = TableHandle(definition: definition, storages: storages)
        }
        return handles
    }

    /// Resumes what the catalog records as unfinished (index and expiry backfills, restores) and
    /// starts the loops and the triggers, all owned by ``jobs`` or the trigger service.
    private func startBackgroundWork() {
        resumeBackfills()
        resumeExpiryBackfills()
        resumeRestores()
        startStreamRetention()
        startRecoveryRetention()
        startExpirer()
        triggerService.backoff.withLock { $0 = (options.triggerRetryBase, options.triggerRetryCap) }
        startTriggers()
    }

    static func shardFolder(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    deinit {
        // A database dropped without close(): its background work stops first, so what it was
        // doing (a transaction's clean-up, say, which the next open completes) is not reported
        // as a failure.
        _ = jobs.cancelAll()
        for shard in shards { shard.writer.stop() }
    }

    /// Finishes queued writes, stops the shard writers, waits for the reads in flight and closes
    /// the environments. Later operations fail. The directory may then be opened again in this
    /// process (LMDB allows one open handle per environment and process).
    public func close() {
        _ = jobs.cancelAll()
        cancelTriggers()
        streamService.commitSignal.close()
        for shard in shards { shard.writer.stop() }
        for shard in shards { shard.environment.close() }
        catalog.environment.close()
        directoryLock?.release()
        if let folder = temporaryFolder.withLock({ folder in defer { folder = nil }; return folder }) {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// Stops every mapping after its batch in flight, cancels the background jobs and waits for
    /// them, then closes (see ``close()``): the clean way to end a process.
    public func shutdown() async {
        await stopTriggers()
        for job in jobs.cancelAll() { await job.value }
        close()
    }

    /// Background work that failed (logged at error level too), oldest first, at most 100.
    public var backgroundFailures: [BackgroundFailure] { jobs.failures }

    /// The background jobs running now.
    public var backgroundJobsRunning: Int { jobs.running }

    /// The number of shards of this directory.
    public var shardCount: Int { shards.count }

    // MARK: Internals shared by the operations

    func handle(_ name: String) throws(ShoalError) -> TableHandle {
        guard let handle = tables.lookup(name) else {
            // A name no table could have is a validation error, as in DynamoDB.
            try TableNameRule.validate(name)
            throw .resourceNotFound
        }
        // A table being restored or imported is CREATING: DynamoDB's data operations do not find it yet.
        guard !handle.definition.isLoading else { throw .resourceNotFound }
        return handle
    }

    func lookup(_ name: String) -> TableHandle? { tables.lookup(name) }

    /// Changes a table's definition where the change leaves its storage as it is (tags,
    /// throughput, a backfill's progress); a change of storage goes through ``alterTable(_:id:_:)``.
    @discardableResult
    func changeDefinition(_ name: String, id: String? = nil,
                          _ change: (inout TableDefinition) throws(ShoalError) -> Void) throws(ShoalError) -> TableHandle {
        let (_, after) = try tables.change(name, id: id, storage: false, change)
        guard let handle = lookup(name) else { throw .tableNotFound(name) }
        return handle.definition == after ? handle : TableHandle(definition: after, storages: handle.storages)
    }

    func tableNames() -> [String] { tables.names }

    /// The shard that holds the items of a partition key (for placing data in tests and benchmarks).
    public func shardIndex(ofPartitionKey partition: AttributeValue) -> Int {
        shard(for: partition).index
    }

    func shard(for partition: AttributeValue) -> Shard {
        shards[ring.shard(for: KeyEncoding.token(partition))]
    }

    /// Runs an operation body, turning storage failures into `InternalServerError`.
    func run<T>(_ body: () async throws -> T) async throws(ShoalError) -> T {
        do {
            return try await body()
        } catch {
            throw Database.shoalError(error)
        }
    }

    func runSync<T>(_ body: () throws -> T) throws(ShoalError) -> T {
        try Database.storageCall(body)
    }

    /// Runs a storage call, turning its failures (other than Shoal's own) into `InternalServerError`.
    static func storageCall<T>(_ body: () throws -> T) throws(ShoalError) -> T {
        do {
            return try body()
        } catch {
            throw shoalError(error)
        }
    }

    /// A failure as the client sees it: Shoal's own as it is, any other as `InternalServerError`.
    static func shoalError(_ error: any Error) -> ShoalError {
        (error as? ShoalError) ?? .internalError("Internal error: \(error)")
    }
}
