import LMDB

/// A table's databases in one shard: its items, its secondary indexes and the change stream its
/// writes append to, opened together by CreateTable; DeleteTable drops the items and indexes (a
/// stream stays readable until its records age out).
struct TableStorage: Sendable {
    let items: LMDB.Database
    /// The indexes writes maintain (live or being backfilled), in definition order.
    var indexes: [ShardIndex]
    /// The enabled stream, if any.
    var stream: ShardStream? = nil
    /// The attribute holding items' expiry time, while time to live is enabled.
    var ttlAttribute: String? = nil

    /// Whether a write must know the item it replaces (to move or delete index entries, to tell
    /// the stream what changed, or to move its expiry entry).
    /// Whether a client's write must read the item it replaces (see ``needsOldImage(for:)``).
    var needsOldImage: Bool { needsOldImage(for: .client) }

    func index(named name: String) -> ShardIndex? {
        indexes.first { Bytewise.equal($0.rules.name, name) }
    }

    /// Every database, items first.
    var allDatabases: [LMDB.Database] { [items] + indexes.map(\.db) }
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
