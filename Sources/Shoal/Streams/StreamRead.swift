import LMDB

/// One read of a stream shard, from a single snapshot.
struct StreamShardPage {
    var records: [StreamRecord]
    /// The counter of the last record read, if any.
    var last: UInt64?
    /// The counter of the newest record retention trimmed (0: none); reading from before it fails.
    var horizon: UInt64
    /// The counter of the newest record in the shard, if any.
    var newest: UInt64?
}

extension Database {
    /// Records of a stream in one storage shard, in order, after record counter `after` (nil: from
    /// the trim horizon of the same snapshot), with the shard's trim horizon and newest counter,
    /// all from one snapshot. A page stops at `limit` records or once `byteLimit` bytes of records
    /// are in it (at least one).
    /// - Throws: `TrimmedDataAccessException` when `after` lies before the trim horizon.
    func readStream(_ stream: StreamHandle, shard shardIndex: Int, after requested: UInt64?, limit: Int,
                    byteLimit: Int = .max) throws(ShoalError) -> StreamShardPage {
        let db = stream.databases[shardIndex]
        let viewType = stream.definition.viewType
        let shard = shards[shardIndex]
        let page = try runSync {
            try snapshot(shard) { txn in
                let horizon = try txn.get(shard.statistics, key: ShardLayout.trimHorizonKey(stream.definition.id))
                    .flatMap(StreamRecordCodec.counter(ofKey:)) ?? 0
                let after = requested ?? horizon
                return try txn.withCursor(db) { cursor in
                    var page = StreamShardPage(records: [], last: nil, horizon: horizon, newest: nil)
                    guard after >= horizon else { return page }
                    let start = StreamRecordCodec.key(counter: after)
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    var bytes = 0
                    while more && page.records.count < limit && bytes < byteLimit {
                        guard let counter = StreamRecordCodec.counter(ofKey: cursor.key.array) else { break }
                        let record = try StreamRecordCodec.decode(cursor.value.array, counter: counter, shard: shardIndex, viewType: viewType)
                        if !page.records.isEmpty && bytes + record.sizeBytes > byteLimit { break }
                        bytes += record.sizeBytes
                        page.records.append(record)
                        page.last = counter
                        more = try cursor.next()
                    }
                    page.newest = try cursor.last() ? StreamRecordCodec.counter(ofKey: cursor.key.array) : nil
                    return page
                }
            }
        }
        if let requested, requested < page.horizon { throw Database.trimmed(horizon: page.horizon, shard: shardIndex) }
        return page
    }
}
