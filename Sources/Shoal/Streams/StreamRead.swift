import LMDB

/// One read of a stream shard, from a single snapshot.
struct StreamShardPage {
    var records: [StreamRecord]
    /// The counter of the last record read, if any.
    var last: UInt64?
    /// Where the shard's retained records start: the counter of the newest record retention
    /// trimmed, or the shard's start if later (reading from before it fails).
    var horizon: UInt64
    /// The counter of the shard's newest record, if any.
    var newest: UInt64?
    /// The shard is closed (by a reshard, or its stream ended) and `newest` is its last record.
    var closed: Bool

    /// Every record of a closed shard up to `position` has been read.
    func finished(at position: UInt64?) -> Bool {
        closed && (newest ?? 0) <= (position ?? horizon)
    }
}

extension Database {
    /// Records of a stream shard, in order, after record counter `after` (nil: from the trim
    /// horizon of the same snapshot), with the shard's trim horizon and newest counter, all from
    /// one snapshot. A page stops at `limit` records or once `byteLimit` bytes of records are in
    /// it (at least one), and never passes the shard's end.
    /// - Throws: `TrimmedDataAccessException` when `after` lies before the trim horizon.
    func readStream(_ stream: StreamHandle, shard ref: StreamShardRef, after requested: UInt64?, limit: Int,
                    byteLimit: Int = .max) throws(ShoalError) -> StreamShardPage {
        guard let (environment, db, archive) = stream.location(ref) else {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Shard does not exist")
        }
        let viewType = stream.definition.viewType
        let shard = shards[environment]
        let closed = ref.end != nil || stream.definition.endedAt != nil
        let page = try runSync {
            try snapshot(shard) { txn in
                let trimmed = try txn.get(shard.statistics, key: ShardLayout.trimHorizonKey(stream.definition.id, archive: archive))
                    .flatMap(StreamRecordCodec.counter(ofKey:)) ?? 0
                let horizon = max(trimmed, ref.after)
                let after = requested ?? horizon
                return try txn.withCursor(db) { cursor in
                    var page = StreamShardPage(records: [], last: nil, horizon: horizon, newest: nil, closed: closed)
                    guard after >= horizon else { return page }
                    let start = StreamRecordCodec.key(counter: after)
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    var bytes = 0
                    while more && page.records.count < limit && bytes < byteLimit {
                        guard let counter = StreamRecordCodec.counter(ofKey: cursor.key.array), ref.holds(counter) else { break }
                        let record = try StreamRecordCodec.decode(cursor.value.array, counter: counter, shard: ref.index, viewType: viewType)
                        if !page.records.isEmpty && bytes + record.sizeBytes > byteLimit { break }
                        bytes += record.sizeBytes
                        page.records.append(record)
                        page.last = counter
                        more = try cursor.next()
                    }
                    page.newest = try Database.newestCounter(cursor, in: ref)
                    return page
                }
            }
        }
        if let requested, requested < page.horizon { throw Database.trimmed(horizon: page.horizon, shard: ref.index) }
        return page
    }

    /// The counter of the newest record of a stream shard the cursor's database holds.
    static func newestCounter(_ cursor: Cursor, in ref: StreamShardRef) throws -> UInt64? {
        let found = try ref.end.map { try cursor.seek(atOrBefore: StreamRecordCodec.key(counter: $0)) } ?? cursor.last()
        guard found, let counter = StreamRecordCodec.counter(ofKey: cursor.key.array), ref.holds(counter) else { return nil }
        return counter
    }

    /// The counters of the oldest and newest retained records of a stream shard.
    func counterRange(_ stream: StreamHandle, _ ref: StreamShardRef) throws(ShoalError) -> (first: UInt64?, last: UInt64?) {
        guard let (environment, db, _) = stream.location(ref) else { return (nil, nil) }
        return try runSync {
            try snapshot(shards[environment]) { txn in
                try txn.withCursor(db) { cursor in
                    var first: UInt64?
                    let start = StreamRecordCodec.key(counter: ref.after)
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    if more, let counter = StreamRecordCodec.counter(ofKey: cursor.key.array), ref.holds(counter) { first = counter }
                    return (first, first == nil ? nil : try Database.newestCounter(cursor, in: ref))
                }
            }
        }
    }

    /// Where a stream shard's retained records start (see ``StreamShardPage/horizon``).
    func trimHorizon(_ stream: StreamHandle, _ ref: StreamShardRef) throws(ShoalError) -> UInt64 {
        guard let (environment, _, archive) = stream.location(ref) else { return ref.after }
        let shard = shards[environment]
        let trimmed = try runSync {
            try shard.environment.read { txn in
                try txn.get(shard.statistics, key: ShardLayout.trimHorizonKey(stream.definition.id, archive: archive))
                    .flatMap(StreamRecordCodec.counter(ofKey:)) ?? 0
            }
        }
        return max(trimmed, ref.after)
    }

    func lastCounter(_ stream: StreamHandle, _ ref: StreamShardRef) throws(ShoalError) -> UInt64? {
        try counterRange(stream, ref).last
    }
}
