import LMDB

extension Database {
    /// Records of a stream in one storage shard, in order, after record counter `after`
    /// (0: from the oldest). - Returns: the records and the counter of the last one read.
    /// A page stops at `limit` records or once `byteLimit` bytes of records are in it (at least one).
    func streamRecords(stream id: String, shard shardIndex: Int, after: UInt64, limit: Int,
                       byteLimit: Int = .max) throws(ShoalError) -> (records: [StreamRecord], last: UInt64?) {
        guard let stream = streamHandle(id) else { throw .resourceNotFound }
        let db = stream.databases[shardIndex]
        let viewType = stream.definition.viewType
        let shard = shards[shardIndex]
        return try runSync {
            try shard.environment.read { txn in
                try txn.withCursor(db) { cursor in
                    var records: [StreamRecord] = []
                    var last: UInt64?
                    let start = StreamRecordCodec.key(counter: after)
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    var bytes = 0
                    while more && records.count < limit && bytes < byteLimit {
                        guard let counter = StreamRecordCodec.counter(ofKey: cursor.key.array) else { break }
                        let record = try StreamRecordCodec.decode(cursor.value.array, counter: counter, shard: shardIndex, viewType: viewType)
                        if !records.isEmpty && bytes + record.sizeBytes > byteLimit { break }
                        bytes += record.sizeBytes
                        records.append(record)
                        last = counter
                        more = try cursor.next()
                    }
                    return (records, last)
                }
            }
        }
    }
}
