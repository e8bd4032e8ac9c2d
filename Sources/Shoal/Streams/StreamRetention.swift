import Foundation
import LMDB

extension Database {
    /// Records deleted per writer unit: small, so that trimming never holds writers up for long.
    static let trimBatch = 256

    /// How often the background task trims: a quarter of the retention, between 50 ms and a minute.
    var trimInterval: Duration {
        min(max(options.streamRetention / 4, .milliseconds(50)), .seconds(60))
    }

    /// Starts the background trimming of stream records older than the retention period (a loop
    /// of the background jobs: cancelled and awaited on shutdown).
    func startStreamRetention() {
        guard !options.readOnly else { return }
        jobs.startLoop("stream retention", every: trimInterval) { [weak self] in await self?.trimStreams(now: self?.options.clock.now ?? Date()) }
    }

    /// Deletes every stream record older than the retention period, in small writer units, and
    /// removes ended streams whose retention is over (their last records are gone with them).
    func trimStreams(now: Date) async {
        let retention = Double(options.streamRetention.components.seconds) + Double(options.streamRetention.components.attoseconds) / 1e18
        let cutoff = Int((now.timeIntervalSince1970 - retention) * 1000)
        for stream in streamService.all {
            let id = stream.definition.id
            // Each storage shard's database, then shard 0's archives of removed storage shards.
            let places = stream.databases.enumerated().map { (shard: $0.offset, db: $0.element, archive: Int?.none) }
                + stream.archives.sorted { $0.key < $1.key }.map { (shard: 0, db: $0.value, archive: Optional($0.key)) }
            if let ended = stream.definition.endedAt, ended + retention < now.timeIntervalSince1970 {
                do {
                    for place in places {
                        try await shards[place.shard].writer.perform { try $0.dropStream(place.db, streamID: id, archive: place.archive) }
                    }
                    try catalog.removeStream(id)
                    try catalog.removeStreamLineage(id)
                    streamService.remove(id)
                } catch {
                    jobs.report("stream retention of \(stream.definition.tableName)", error)
                }
                continue
            }
            for place in places {
                while true {
                    do {
                        let trimmed = try await shards[place.shard].writer.perform { context in
                            try context.trimStream(place.db, streamID: id, archive: place.archive, before: cutoff, limit: Database.trimBatch)
                        }
                        if trimmed < Database.trimBatch { break }
                    } catch {
                        jobs.report("stream retention of \(stream.definition.tableName)", error)
                        break
                    }
                }
            }
        }
    }
}
