import LMDB

/// One table's share of a shard.
public struct TableShardStatistics: Sendable, Equatable {
    public var tableName: String
    public var items: Int
    /// DynamoDB's item sizes, summed.
    public var bytes: Int
}

/// A shard's environment and tables, as `/metrics` and `shoal stats` show them.
public struct ShardStatistics: Sendable, Equatable {
    public var shard: Int
    /// The memory map's current size and the part the data file uses.
    public var mapSize: Int
    public var mapUsed: Int
    /// Stream records this shard has written since it was created (its record counter).
    public var streamRecords: Int
    /// Group commits and the writes they carried since the database was opened.
    public var committedGroups: Int
    public var committedWrites: Int
    public var tables: [TableShardStatistics]
}

extension Database {
    /// Each shard's map use, stream record counter and tables' item counts and sizes, read from
    /// the shards' counters (no scans).
    public func storageStatistics() throws(ShoalError) -> [ShardStatistics] {
        let tables = tableNames().compactMap(lookup)
        return try runSync {
            try shards.map { shard in
                let info = shard.environment.info()
                let pageSize = shard.environment.statistics().pageSize
                return try shard.environment.read { txn in
                    var perTable: [TableShardStatistics] = []
                    for table in tables {
                        let bytes = try txn.get(shard.statistics, key: ShardLayout.sizeKey(table.definition.id)).map(ShardLayout.decodeInt) ?? 0
                        perTable.append(TableShardStatistics(tableName: table.definition.name,
                                                             items: try txn.statistics(table.items(shard.index)).entries, bytes: bytes))
                    }
                    let counter = try txn.get(shard.statistics, key: ShardLayout.streamCounterKey).map { $0.reduce(0) { $0 << 8 | Int($1) } } ?? 0
                    return ShardStatistics(shard: shard.index, mapSize: info.mapSize, mapUsed: (info.lastPageNumber + 1) * pageSize,
                                           streamRecords: counter,
                                           committedGroups: shard.writer.committedGroups.load(ordering: .relaxed),
                                           committedWrites: shard.writer.committedWrites.load(ordering: .relaxed),
                                           tables: perTable.sorted { $0.tableName < $1.tableName })
                }
            }
        }
    }
}
