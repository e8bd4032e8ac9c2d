import CoreMetrics
import Foundation
import LMDB

/// One storage shard: its LMDB environment (`DIR/shards/NNN/`) and its single writer.
struct Shard: Sendable {
    let index: Int
    let environment: Environment
    let writer: ShardWriter
    /// The `stats` database (see ``ShardLayout``).
    let statistics: LMDB.Database

    /// The budget of tables, indexes and streams, plus `transactions` and `expiry`, plus the undo
    /// journal while snapshots exist (the budget itself stays the same).
    static func maxDatabases(_ options: DatabaseOptions, journaling: Bool) -> UInt32 {
        options.maxDatabasesPerShard + (journaling ? 3 : 2)
    }

    /// Opens the shard, opening the databases of `liveTables` (by table id) and their maintained
    /// indexes, and deleting every other table or index database (left behind by a DeleteTable or
    /// an index deletion that emptied them, or by a crash mid-CreateTable).
    init(path: String, index: Int, options: DatabaseOptions, liveTables: [String: TableDefinition], streams: [StreamDefinition] = [],
         commitSignal: CommitSignal = CommitSignal(), longReads: LongReads = LongReads(),
         tracking: ReshardTracking = ReshardTracking(), undoJournal: UInt64? = nil) throws {
        var envOptions = EnvironmentOptions()
        envOptions.undoJournal = undoJournal
        envOptions.mapSize = options.initialMapSize
        envOptions.maxMapSize = options.maxMapSize
        envOptions.maxDatabases = Shard.maxDatabases(options, journaling: undoJournal != nil)
        envOptions.noSync = options.durability == .noSync
        envOptions.readOnly = options.readOnly
        let environment = try Environment(path: path, options: envOptions)
        let streamNames = Set(streams.map { ShardLayout.streamName($0.id) })
        let (statistics, tables, counter, opened, system) = options.readOnly
            ? try Shard.openReadOnly(environment, liveTables: liveTables, streams: streamNames)
            : try environment.write { txn -> (LMDB.Database, [String: TableStorage], UInt64, [String: LMDB.Database], SystemDatabases) in
            let statistics = try txn.openDatabase(named: ShardLayout.statisticsName, create: true)!
            let system = SystemDatabases(transactions: try txn.openDatabase(named: ShardLayout.transactionsName, create: true)!,
                                         expiry: try txn.openDatabase(named: ShardLayout.expiryName, create: true)!)
            var names: [String] = []
            let main = try txn.openDatabase(named: nil)!
            try txn.withCursor(main) { cursor in
                var more = try cursor.first()
                while more {
                    names.append(String(decoding: cursor.key.array, as: UTF8.self))
                    more = try cursor.next()
                }
            }
            let wanted = Shard.wantedDatabases(liveTables).union(streamNames)
            var opened: [String: LMDB.Database] = [:]
            let streamIDs = Set(streams.map(\.id))
            for name in names where name.hasPrefix(ShardLayout.itemsPrefix) || name.hasPrefix(ShardLayout.indexPrefix)
                || name.hasPrefix(ShardLayout.streamPrefix) || name.hasPrefix(ShardLayout.recoveryPrefix) {
                let db = try txn.openDatabase(named: name)!
                if wanted.contains(name) || ShardLayout.archive(ofName: name).map({ streamIDs.contains($0.streamID) }) == true {
                    opened[name] = db
                } else {
                    try txn.drop(db, delete: true)
                    if let key = Shard.statisticsKey(ofDatabase: name) { try txn.delete(statistics, key: key) }
                }
            }
            return (statistics, Shard.assemble(liveTables, opened), try Shard.streamCounter(txn, statistics), opened, system)
        }
        self.index = index
        self.environment = environment
        self.statistics = statistics
        var streamDatabases: [String: LMDB.Database] = [:]
        for stream in streams {
            if let db = opened[ShardLayout.streamName(stream.id)] { streamDatabases[stream.id] = db }
        }
        self.streamDatabases = streamDatabases
        var archives: [String: [Int: LMDB.Database]] = [:]
        for (name, db) in opened {
            if let (streamID, archived) = ShardLayout.archive(ofName: name) { archives[streamID, default: [:]][archived] = db }
        }
        self.streamArchives = archives
        self.writer = ShardWriter(environment: environment, index: index, statistics: statistics, system: system,
                                  tables: tables, streamCounter: counter, commitSignal: commitSignal, longReads: longReads, tracking: tracking,
                                  deletedTableGrace: options.deletedTableGrace, metrics: options.metricsFactory ?? MetricsSystem.factory, clock: options.clock)
        self.tableStorage = tables
    }

    /// The tables' storage found when the shard was opened (complete tables only).
    let tableStorage: [String: TableStorage]
    /// The databases of the streams found when the shard was opened, by stream id.
    let streamDatabases: [String: LMDB.Database]
    /// The archives of removed storage shards' stream records found when the shard was opened
    /// (shard 0 only), by stream id and storage shard index.
    let streamArchives: [String: [Int: LMDB.Database]]

    /// The names of the databases the live tables use.
    private static func wantedDatabases(_ liveTables: [String: TableDefinition]) -> Set<String> {
        var names: Set<String> = []
        for (id, definition) in liveTables {
            names.insert(ShardLayout.itemsName(id))
            for index in definition.allIndexes where index.isMaintained {
                names.insert(ShardLayout.indexName(id, index.id))
            }
            if let stream = definition.liveStream { names.insert(ShardLayout.streamName(stream.id)) }
            if let recovery = definition.pointInTimeRecovery { names.insert(ShardLayout.recoveryName(id, recovery.logID)) }
        }
        return names
    }

    /// The `stats` key of a table or index database (by its name); nil for a database without one.
    private static func statisticsKey(ofDatabase name: String) -> [UInt8]? {
        if name.hasPrefix(ShardLayout.itemsPrefix) { return ShardLayout.sizeKey(String(name.dropFirst(ShardLayout.itemsPrefix.count))) }
        guard name.hasPrefix(ShardLayout.indexPrefix) else { return nil }
        let parts = name.dropFirst(ShardLayout.indexPrefix.count).split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        return ShardLayout.indexSizeKey(String(parts[0]), String(parts[1]))
    }

    /// Each table whose databases (items, maintained indexes, live stream) are all present.
    private static func assemble(_ liveTables: [String: TableDefinition], _ opened: [String: LMDB.Database]) -> [String: TableStorage] {
        var tables: [String: TableStorage] = [:]
        for (id, definition) in liveTables {
            if let storage = TableStorage(definition, database: { opened[$0] }) { tables[id] = storage }
        }
        return tables
    }

    /// The last stream record counter the shard used.
    private static func streamCounter(_ txn: Transaction, _ statistics: LMDB.Database) throws -> UInt64 {
        try txn.get(statistics, key: ShardLayout.streamCounterKey).map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } ?? 0
    }

    /// Opens the databases of `liveTables` without changing anything.
    private static func openReadOnly(_ environment: Environment, liveTables: [String: TableDefinition],
                                     streams: Set<String>) throws -> (LMDB.Database, [String: TableStorage], UInt64, [String: LMDB.Database], SystemDatabases) {
        try environment.read { txn in
            guard let statistics = try txn.openDatabase(named: ShardLayout.statisticsName) else {
                throw ShoalError.internalError("\(environment.path) is not a Shoal shard")
            }
            var opened: [String: LMDB.Database] = [:]
            for name in wantedDatabases(liveTables).union(streams) {
                if let db = try txn.openDatabase(named: name) { opened[name] = db }
            }
            // Archives (shard 0 after a shrinking reshard) are found by listing the names.
            let main = try txn.openDatabase(named: nil)!
            try txn.withCursor(main) { cursor in
                var more = try cursor.first()
                while more {
                    let name = String(decoding: cursor.key.array, as: UTF8.self)
                    if let (streamID, _) = ShardLayout.archive(ofName: name), streams.contains(ShardLayout.streamName(streamID)),
                       let db = try txn.openDatabase(named: name) {
                        opened[name] = db
                    }
                    more = try cursor.next()
                }
            }
            let system = SystemDatabases(transactions: try txn.openDatabase(named: ShardLayout.transactionsName),
                                         expiry: try txn.openDatabase(named: ShardLayout.expiryName))
            return (statistics, assemble(liveTables, opened), try streamCounter(txn, statistics), opened, system)
        }
    }
}

/// A shard's databases that belong to no table (nil in a read-only shard written before they existed).
struct SystemDatabases: Sendable {
    /// Commit records of transactions spanning shards (see ``TransactionLog``).
    var transactions: LMDB.Database?
    /// Items by expiry time, for time to live (see ``ExpiryOrder``).
    var expiry: LMDB.Database?
}
