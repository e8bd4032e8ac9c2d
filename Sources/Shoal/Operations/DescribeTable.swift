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
            var count = 0
            var size = 0
            for (index, shard) in shards.enumerated() {
                try shard.environment.read { txn in
                    count += try txn.statistics(handle.databases[index]).entries
                    if let bytes = try txn.get(shard.statistics, key: ShardLayout.sizeKey(handle.definition.id)) {
                        size += ShardLayout.decodeInt(bytes)
                    }
                }
            }
            return handle.definition.describe(status: status, itemCount: count, sizeBytes: size, region: options.region)
        }
    }
}
