import LMDB

/// A table's databases in one shard: its items, its secondary indexes and the change stream its
/// writes append to. It is computed from the table's definition and the shard's databases by one
/// function (``init(_:database:)``), whether the shard is opening or the schema funnel
/// (``Database/alterTable(_:id:_:)``) is changing the table; the value each shard's step of the
/// funnel returns is the one both that shard's writer and the registry's readers hold.
/// DeleteTable drops the items and indexes (a stream stays readable until its records age out).
struct TableStorage: Sendable {
    /// The table's id (names its databases).
    let tableID: String
    /// The id of the recovery log's database, while point-in-time recovery is enabled.
    var recoveryLogID: String? = nil
    let items: LMDB.Database
    /// The indexes writes maintain (live or being backfilled), in definition order.
    var indexes: [ShardIndex]
    /// The enabled stream, if any.
    var stream: ShardStream? = nil
    /// The attribute holding items' expiry time, while time to live is enabled.
    var ttlAttribute: String? = nil
    /// The point-in-time recovery log, while recovery is enabled (see ``RecoveryLog``).
    var recoveryLog: LMDB.Database? = nil

    /// Whether a client's write must read the item it replaces (see ``needsOldImage(for:)``).
    var needsOldImage: Bool { needsOldImage(for: .client) }

    func index(named name: String) -> ShardIndex? {
        indexes.first { Bytewise.equal($0.rules.name, name) }
    }

    /// Every database the table owns (its stream outlives it), items first.
    var allDatabases: [LMDB.Database] { [items] + indexes.map(\.db) + (recoveryLog.map { [$0] } ?? []) }

    /// The databases of this storage by name (what ``init(_:database:)`` looks up).
    var databasesByName: [String: LMDB.Database] {
        var names = [ShardLayout.itemsName(tableID): items]
        for index in indexes { names[ShardLayout.indexName(tableID, index.id)] = index.db }
        if let stream { names[ShardLayout.streamName(stream.id)] = stream.db }
        if let recoveryLog, let logID = recoveryLogID { names[ShardLayout.recoveryName(tableID, logID)] = recoveryLog }
        return names
    }
}

extension TableStorage {
    /// The storage `definition` describes: its items, the indexes it maintains (with their rules)
    /// and its live stream, each database found by name through `database`, and its expiry
    /// attribute. Nil when a database is missing (`database` returned nil).
    init?(_ definition: TableDefinition, database: (_ name: String) throws -> LMDB.Database?) rethrows {
        guard let items = try database(ShardLayout.itemsName(definition.id)) else { return nil }
        var indexes: [ShardIndex] = []
        for index in definition.allIndexes where index.isMaintained {
            guard let db = try database(ShardLayout.indexName(definition.id, index.id)) else { return nil }
            indexes.append(ShardIndex(rules: IndexRules(index, table: definition.primaryKey), db: db))
        }
        var stream: ShardStream?
        if let live = definition.liveStream {
            guard let db = try database(ShardLayout.streamName(live.id)) else { return nil }
            stream = ShardStream(id: live.id, viewType: live.viewType, primaryKey: live.primaryKey, db: db)
        }
        var recoveryLog: LMDB.Database?
        if let recovery = definition.pointInTimeRecovery {
            guard let db = try database(ShardLayout.recoveryName(definition.id, recovery.logID)) else { return nil }
            recoveryLog = db
        }
        self.init(tableID: definition.id, recoveryLogID: definition.pointInTimeRecovery?.logID, items: items, indexes: indexes,
                  stream: stream, ttlAttribute: definition.timeToLive?.attributeName, recoveryLog: recoveryLog)
    }
}

extension TableDefinition {
    /// What of a definition decides its storage in a shard: a change of anything else (tags,
    /// throughput, a backfill's progress) does not touch the shards.
    struct StorageShape: Equatable {
        /// The maintained indexes' ids and states (an index's keys and projection never change).
        let maintainedIndexes: [String]
        let streamID: String?
        let ttlAttribute: String?
        let recoveryLogID: String?

        /// Whether this shape only takes away from `old` (an index no longer maintained, a stream
        /// or time to live switched off), adding and changing nothing.
        func onlyRemoves(from old: StorageShape) -> Bool {
            Set(maintainedIndexes).isSubset(of: old.maintainedIndexes) && (streamID == nil || streamID == old.streamID)
                && (ttlAttribute == nil || ttlAttribute == old.ttlAttribute)
                && (recoveryLogID == nil || recoveryLogID == old.recoveryLogID)
        }
    }

    var storageShape: StorageShape {
        StorageShape(maintainedIndexes: allIndexes.filter(\.isMaintained).map { "\($0.id):\($0.status.rawValue)" },
                     streamID: liveStream?.id, ttlAttribute: timeToLive?.attributeName,
                     recoveryLogID: pointInTimeRecovery?.logID)
    }
}

/// A table's enabled stream in one shard: what it records and the database of its records.
struct ShardStream: Sendable {
    let id: String
    let viewType: StreamViewType
    let primaryKey: PrimaryKey
    let db: LMDB.Database
}

/// One secondary index in one shard: its rules and the database of its entries.
struct ShardIndex: Sendable {
    let rules: IndexRules
    let db: LMDB.Database
    var id: String { rules.definition.id }
}
