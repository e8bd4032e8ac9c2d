import Foundation

/// How a stream's shards changed as its directory was resharded (DynamoDB Streams' shard lineage).
///
/// A stream starts with one stream shard per storage shard: generation 0. A reshard closes every
/// shard of the current generation at the counter its storage shard had reached, and opens a new
/// generation with one shard per storage shard of the new layout, each naming a parent. Counters
/// keep growing in every storage shard, so a record's counter says which generation holds it;
/// sequence numbers stay unique because they carry the storage shard too (see
/// ``StreamRecordCodec``). A storage shard a shrink removes leaves its records in shard 0, in an
/// archive database per stream and storage shard, until retention ends.
///
/// Stored in the catalog's `meta` under `lineage:<streamID>`; a stream that never saw a reshard
/// has none (one implicit generation).
struct StreamLineage: Sendable, Codable, Equatable {
    var generations: [StreamGeneration]
    /// Per removed storage shard (by index): the newest counter whose records moved to its archive.
    /// Counters at or below it for that index are read from the archive.
    var archivedThrough: [Int: UInt64] = [:]

    /// The implicit lineage of a stream that was never resharded.
    static func initial(createdAt: Double, shardCount: Int) -> StreamLineage {
        StreamLineage(generations: [StreamGeneration(startedMillis: Int64(createdAt * 1000), shardCount: shardCount,
                                                     after: Array(repeating: 0, count: shardCount), end: nil, parents: nil)])
    }

    /// Closes the current generation at `counters` (each old storage shard's last counter) and
    /// opens one of `shardCount` shards whose counters start after `after`; the old storage shards
    /// from `shardCount` on go, their records to archives.
    /// - Parameter parents: per new storage shard, the old one it takes the most keys from.
    mutating func reshard(at millis: Int64, counters: [UInt64], shardCount: Int, after: [UInt64], parents: [Int]) {
        guard var current = generations.popLast() else { return }
        current.end = counters
        generations.append(current)
        for index in shardCount..<max(shardCount, counters.count) {
            archivedThrough[index] = max(archivedThrough[index] ?? 0, counters[index])
        }
        generations.append(StreamGeneration(startedMillis: max(millis, current.startedMillis + 1), shardCount: shardCount,
                                            after: after, end: nil, parents: parents))
    }

    /// Every stream shard, oldest generation first.
    var shards: [StreamShardRef] {
        var refs: [StreamShardRef] = []
        for (number, generation) in generations.enumerated() {
            for index in 0..<generation.shardCount {
                let end = generation.end?[index]
                let archived = end.map { end in archivedThrough[index].map { end <= $0 } ?? false } ?? false
                refs.append(StreamShardRef(generation: number, index: index, startedMillis: generation.startedMillis,
                                           after: generation.after[index], end: end,
                                           parent: generation.parents.map { StreamShardRef.ordinal(number - 1, $0[index]) },
                                           archived: archived))
            }
        }
        return refs
    }
}

/// One generation of a stream's shards.
struct StreamGeneration: Sendable, Codable, Equatable {
    /// When it started (milliseconds); its shard ids carry it.
    var startedMillis: Int64
    var shardCount: Int
    /// Per storage shard: this generation's records have counters above this.
    var after: [UInt64]
    /// Per storage shard: the last counter of this generation (nil while it is the current one).
    var end: [UInt64]?
    /// Per storage shard: its parent's index in the previous generation (nil in the first).
    var parents: [Int]?
}

/// One stream shard: a generation's part of one storage shard's counters.
struct StreamShardRef: Sendable, Hashable {
    var generation: Int
    /// The storage shard whose counters (and, unless archived, database) it uses.
    var index: Int
    var startedMillis: Int64
    /// Its records have counters above this...
    var after: UInt64
    /// ...and at most this, once it is closed by a reshard.
    var end: UInt64?
    /// The parent's ordinal.
    var parent: Int?
    /// Its records are in shard 0's archive of its storage shard (the storage shard was removed).
    var archived: Bool

    /// Identifies the shard within its stream: the storage index in generation 0 (as before
    /// lineage existed, so checkpoints and iterators stay valid), then 1024 per generation.
    var ordinal: Int { StreamShardRef.ordinal(generation, index) }

    static func ordinal(_ generation: Int, _ index: Int) -> Int { generation * Int(StreamRecordCodec.shardSlots) + index }

    /// DynamoDB's shard id form: `shardId-` 20 digits of milliseconds `-` 8 hex digits.
    var shardID: String {
        let millis = String(startedMillis)
        return "shardId-" + String(repeating: "0", count: max(0, 20 - millis.count)) + millis + "-" + String(format: "%08x", index)
    }

    /// Whether a counter of its storage shard belongs to this shard.
    func holds(_ counter: UInt64) -> Bool {
        counter > after && end.map { counter <= $0 } ?? true
    }
}
