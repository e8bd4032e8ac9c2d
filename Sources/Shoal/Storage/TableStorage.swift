import LMDB

/// A table's databases in one shard: its items and its secondary indexes (the change stream comes
/// next), opened together by CreateTable and dropped together by DeleteTable.
struct TableStorage: Sendable {
    let items: LMDB.Database
    /// The indexes writes maintain (live or being backfilled), in definition order.
    var indexes: [ShardIndex]

    /// Whether a write must know the item it replaces (to move or delete index entries).
    var needsOldImage: Bool { !indexes.isEmpty }

    func index(named name: String) -> ShardIndex? {
        indexes.first { Bytewise.equal($0.rules.name, name) }
    }

    /// Every database, items first.
    var allDatabases: [LMDB.Database] { [items] + indexes.map(\.db) }
}

/// One secondary index in one shard: its rules and the database of its entries.
struct ShardIndex: Sendable {
    let rules: IndexRules
    let db: LMDB.Database
    var id: String { rules.definition.id }
}
