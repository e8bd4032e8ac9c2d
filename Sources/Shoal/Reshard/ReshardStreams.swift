import Foundation
import LMDB

extension ReshardDirectory {
    /// Records per writer unit when a removed shard's stream records move to shard 0.
    static let archiveBatch = 512

    /// Samples of the ring used to find each new shard's parent.
    static let parentSamples = 1 << 14

    /// Before the commit point: raises every new storage shard's stream counter above every
    /// counter a retained record may have, and returns each stream's lineage with the old
    /// generation closed and the new one opened (written with the commit).
    func prepareStreams(from old: HashRing, to new: HashRing) async throws -> [String: StreamLineage] {
        guard !streams.isEmpty else { return [:] }
        var counters: [UInt64] = []
        for shard in shards.prefix(old.shardCount) {
            counters.append(try shard.environment.read { txn in
                try txn.get(shard.statistics, key: ShardLayout.streamCounterKey).flatMap(StreamRecordCodec.counter(ofKey:)) ?? 0
            })
        }
        let floor = max(counters.max() ?? 0, lineages.values.flatMap(\.archivedThrough.values).max() ?? 0)
        for shard in shards where shard.index >= old.shardCount {
            try await shard.writer.perform { try $0.raiseStreamCounter(to: floor) }
        }
        let after = (0..<new.shardCount).map { $0 < old.shardCount ? counters[$0] : floor }
        let parents = ReshardDirectory.parents(from: old, to: new)
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        var result: [String: StreamLineage] = [:]
        for stream in streams {
            var lineage = lineages[stream.id] ?? .initial(createdAt: stream.createdAt, shardCount: old.shardCount)
            lineage.reshard(at: millis, counters: counters, shardCount: new.shardCount, after: after, parents: parents)
            result[stream.id] = lineage
        }
        return result
    }

    /// For each shard of `new`, the shard of `old` that owned most of the ring it owns now
    /// (DynamoDB names one parent per shard; consistent hashing may give a new shard keys from several).
    static func parents(from old: HashRing, to new: HashRing) -> [Int] {
        var counts = Array(repeating: [Int](repeating: 0, count: old.shardCount), count: new.shardCount)
        let step = UInt64.max / UInt64(parentSamples)
        for sample in 0..<UInt64(parentSamples) {
            let token = sample * step + step / 2
            counts[new.shard(for: token)][old.shard(for: token)] += 1
        }
        return counts.enumerated().map { index, row in
            // Ties go to the shard with the same index, then the lowest.
            let best = row.max() ?? 0
            return index < row.count && row[index] == best ? index : row.firstIndex(of: best) ?? 0
        }
    }

    /// Moves a removed shard's stream records (and trim horizons) into shard 0's archive of it.
    /// Rerunning it after a crash writes the same records again.
    func archiveStreams(of removed: Shard) async throws {
        let target = shards[0]
        for stream in streams {
            guard let source = removed.streamDatabases[stream.id] else { continue }
            let id = stream.id
            let index = removed.index
            let horizon = try removed.environment.read { txn in try txn.get(removed.statistics, key: ShardLayout.trimHorizonKey(id)) }
            let archive = try await target.writer.perform { try $0.openStreamDatabase(id, archive: index) }
            var after: [UInt8]?
            repeat {
                let position = after
                let batch = try removed.environment.read { txn in
                    try txn.entries(source, after: position, limit: ReshardDirectory.archiveBatch)
                }
                after = batch.last?.key
                // The horizon goes with the last unit, once every record is across.
                let lastHorizon = after == nil ? horizon : nil
                try await target.writer.perform { context in
                    try context.archiveRecords(batch, into: archive, streamID: id, archive: index, horizon: lastHorizon)
                }
                try unitDone(.cleanup)
            } while after != nil
        }
    }
}
