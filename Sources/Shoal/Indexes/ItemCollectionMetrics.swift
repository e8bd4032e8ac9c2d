import LMDB

/// `ReturnItemCollectionMetrics` of a write request.
public enum ReturnItemCollectionMetrics: String, Sendable, CaseIterable {
    case size = "SIZE"
    case none = "NONE"
}

/// The size of an item collection (the items sharing a partition key value, with their local
/// index entries), returned for writes to tables with local secondary indexes.
public struct ItemCollectionMetrics: Sendable, Equatable {
    /// The partition key attribute and its value.
    public var itemCollectionKey: Item
    /// A lower and an upper bound of the collection's size, in GB.
    public var sizeEstimateRangeGB: [Double]
}

extension Database {
    /// The metrics of the item collection of `partition`, or nil when the table has no local
    /// secondary index (DynamoDB reports them only then). The size is counted as DynamoDB counts
    /// it for the 10 GB item-collection limit: every item of the partition plus each of its local
    /// index entries (projected attributes and 100 bytes), read in one snapshot of the shard.
    func itemCollectionMetrics(_ handle: TableHandle, partition: AttributeValue) throws(ShoalError) -> ItemCollectionMetrics? {
        guard handle.indexRules.contains(where: { !$0.definition.isGlobal }) else { return nil }
        let bytes = try itemCollectionBytes(handle, partition: partition)
        let gigabytes = (Double(bytes) / Double(1 << 30)).rounded(.down)
        return ItemCollectionMetrics(itemCollectionKey: [AttributeName(handle.key.partition.name): partition],
                                     sizeEstimateRangeGB: [gigabytes, gigabytes + 1])
    }

    /// The bytes of an item collection: its items and their local index entries.
    func itemCollectionBytes(_ handle: TableHandle, partition: AttributeValue) throws(ShoalError) -> Int {
        let locals = handle.indexRules.filter { !$0.definition.isGlobal }
        let shard = shard(for: partition)
        let items = handle.storages[shard.index].items
        let prefix = KeyEncoding.partitionPrefix(partition)
        return try runSync {
            try snapshot(shard) { txn in
                try txn.withCursor(items) { cursor in
                    var total = 0
                    var more = try cursor.seek(atOrAfter: prefix)
                    while more && cursor.key.hasPrefix(prefix) {
                        let (item, size) = try ShardLayout.decodeValue(cursor.value.array)
                        // A digested partition key may be another partition's.
                        if item[handle.key.partition.name] == partition {
                            total += size
                            for rules in locals where rules.storedKeyValues(of: item) != nil {
                                total += rules.entrySize(of: item, itemSize: size)
                            }
                        }
                        more = try cursor.next()
                    }
                    return total
                }
            }
        }
    }
}
