import LMDB

public struct DescribeTableResponse: Sendable {
    public var table: TableDescription
}

extension Database {
    /// DynamoDB's DescribeTable. ItemCount and TableSizeBytes are exact (DynamoDB's are refreshed
    /// every six hours); they are read from each shard's counters, not by scanning.
    public func describeTable(_ tableName: String) throws(ShoalError) -> DescribeTableResponse {
        guard let handle = lookup(tableName) else { throw .tableNotFound(tableName) }
        return DescribeTableResponse(table: try describe(handle, status: .active))
    }

    func describe(_ handle: TableHandle, status: TableStatus) throws(ShoalError) -> TableDescription {
        try runSync {
            let tableID = handle.definition.id
            var count = 0
            var size = 0
            var indexStatistics: [String: (count: Int, size: Int)] = [:]
            for (index, shard) in shards.enumerated() {
                try shard.environment.read { txn in
                    let storage = handle.storages[index]
                    count += try txn.statistics(storage.items).entries
                    if let bytes = try txn.get(shard.statistics, key: ShardLayout.sizeKey(tableID)) {
                        size += ShardLayout.decodeInt(bytes)
                    }
                    for shardIndex in storage.indexes {
                        var stats = indexStatistics[shardIndex.id] ?? (0, 0)
                        stats.count += try txn.statistics(shardIndex.db).entries
                        if let bytes = try txn.get(shard.statistics, key: ShardLayout.indexSizeKey(tableID, shardIndex.id)) {
                            stats.size += ShardLayout.decodeInt(bytes)
                        }
                        indexStatistics[shardIndex.id] = stats
                    }
                }
            }
            return handle.definition.describe(status: status, itemCount: count, sizeBytes: size, region: options.region,
                                              indexStatistics: indexStatistics)
        }
    }
}
