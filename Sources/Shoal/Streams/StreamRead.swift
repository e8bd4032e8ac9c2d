import LMDB

extension Database {
    /// Records of a table's enabled stream in one storage shard, in order, after record counter
    /// `after` (0: from the oldest). - Returns: the records and the counter of the last one read.
    func streamRecords(table name: String, shard shardIndex: Int, after: UInt64, limit: Int) throws(ShoalError) -> (records: [StreamRecord], last: UInt64?) {
        let handle = try handle(name)
        guard let stream = handle.storages[shardIndex].stream else {
            throw .validation("Table \(name) has no enabled stream")
        }
        let shard = shards[shardIndex]
        return try runSync {
            try shard.environment.read { txn in
                try txn.withCursor(stream.db) { cursor in
                    var records: [StreamRecord] = []
                    var last: UInt64?
                    let start = StreamRecordCodec.key(counter: after)
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    while more && records.count < limit {
                        guard let counter = StreamRecordCodec.counter(ofKey: cursor.key.array) else { break }
                        records.append(try StreamRecordCodec.decode(cursor.value.array, counter: counter, shard: shardIndex,
                                                                    viewType: stream.viewType))
                        last = counter
                        more = try cursor.next()
                    }
                    return (records, last)
                }
            }
        }
    }
}
