import Foundation

/// Where ``StreamChanges`` starts reading.
public enum ChangesStart: Sendable, Equatable {
    /// From the oldest record still retained.
    case trimHorizon
    /// With the first change committed after the sequence starts.
    case latest
    /// After these sequence numbers (the last one seen in each shard, as a subscriber saves
    /// them); shards none of them names start from the oldest record. Reading resumes in the
    /// newest generation of shards they name (see ``StreamLineage``).
    case after([String])
}

/// Follows a table's stream: batches of records as they commit, in order within each shard,
/// woken by the commits themselves. It ends when the database closes, the stream is disabled
/// and read to its end, or the consuming task is cancelled. Reading is pulled: a slow consumer
/// holds nothing back but its own position.
///
/// ```swift
/// for try await batch in db.table("Orders").changes(from: .trimHorizon) {
///     for record in batch { print(record.eventName, record.keys) }
/// }
/// ```
public struct StreamChanges: AsyncSequence, Sendable {
    public typealias Element = [StreamRecord]

    let database: Database
    let tableName: String
    let start: ChangesStart
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(database: database, tableName: tableName, start: start, batchSize: batchSize)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let database: Database
        let tableName: String
        let start: ChangesStart
        let batchSize: Int
        private var stream: StreamHandle?
        /// The generation of stream shards being read: a newer one starts only once every shard
        /// of the older one is read to its end, so a key's changes come in order across a reshard.
        private var generation = 0
        private var refs: [StreamShardRef] = []
        /// Per shard of the generation: the counter read up to (nil: from its oldest record).
        private var positions: [UInt64?] = []
        /// The shard to look at first next time, so that a busy shard cannot starve the others.
        private var nextShard = 0

        init(database: Database, tableName: String, start: ChangesStart, batchSize: Int) {
            self.database = database
            self.tableName = tableName
            self.start = start
            self.batchSize = batchSize
        }

        public mutating func next() async throws -> [StreamRecord]? {
            if stream == nil { try resolve() }
            guard var stream else { return nil }
            let signal = database.streamService.commitSignal
            while !Task.isCancelled {
                // A closed database has closed its environments: the sequence ends.
                if signal.isClosed { return nil }
                let seen = signal.version
                let count = refs.count
                var finished = 0
                for k in 0..<count {
                    let index = (nextShard + k) % count
                    let page: StreamShardPage
                    do {
                        page = try database.readStream(stream, shard: refs[index], after: positions[index], limit: batchSize)
                    } catch {
                        if signal.isClosed { return nil }   // closed while reading
                        throw error
                    }
                    if let last = page.last, !page.records.isEmpty {
                        positions[index] = last
                        nextShard = (index + 1) % count
                        return page.records
                    }
                    if page.finished(at: positions[index]) { finished += 1 }
                }
                if finished == count {
                    // Every shard of the generation is done: the next one, or the end of an ended stream.
                    guard generation + 1 < stream.lineage.generations.count else { return nil }
                    enter(generation + 1, of: stream)
                    continue
                }
                if signal.isClosed { return nil }
                if let current = database.streamHandle(stream.definition.id), current.definition.endedAt != nil,
                   stream.definition.endedAt == nil {
                    // Ended meanwhile: read once more knowing that, so the shards finish.
                    stream = current
                    self.stream = current
                    continue
                }
                await signal.wait(after: seen)
            }
            return nil
        }

        private mutating func enter(_ number: Int, of stream: StreamHandle, positions named: [Int: UInt64] = [:]) {
            generation = number
            refs = stream.shards.filter { $0.generation == number }
            positions = refs.map { named[$0.ordinal] }
            nextShard = 0
        }

        /// The table's live stream and the position to start from in each shard.
        private mutating func resolve() throws(ShoalError) {
            let handle = try database.handle(tableName)
            guard let live = handle.definition.liveStream, let stream = database.streamHandle(live.id) else {
                throw .validation("Table \(tableName) has no enabled stream")
            }
            switch start {
            case .trimHorizon:
                enter(0, of: stream)
            case .latest:
                var named: [Int: UInt64] = [:]
                for ref in stream.currentShards {
                    named[ref.ordinal] = Swift.max(try database.lastCounter(stream, ref) ?? 0, try database.trimHorizon(stream, ref))
                }
                enter(stream.lineage.generations.count - 1, of: stream, positions: named)
            case .after(let sequenceNumbers):
                // Each sequence number names its shard; the newest generation named is where reading resumes.
                var named: [Int: UInt64] = [:]
                var newest = 0
                for parsed in sequenceNumbers.compactMap(StreamRecordCodec.parse(sequenceNumber:)) {
                    guard let ref = stream.shards.first(where: { $0.index == parsed.shard && $0.holds(parsed.counter) }) else { continue }
                    named[ref.ordinal] = parsed.counter
                    newest = Swift.max(newest, ref.generation)
                }
                enter(newest, of: stream, positions: named)
            }
            self.stream = stream
        }
    }
}

extension Database {
    /// Follows a table's enabled stream (see ``StreamChanges``).
    public func changes(table: String, from start: ChangesStart = .latest, batchSize: Int = 1000) -> StreamChanges {
        StreamChanges(database: self, tableName: table, start: start, batchSize: max(1, min(batchSize, Database.maxGetRecordsLimit)))
    }
}

extension Table {
    /// Follows this table's enabled stream (see ``StreamChanges``).
    public func changes(from start: ChangesStart = .latest, batchSize: Int = 1000) -> StreamChanges {
        database.changes(table: name, from: start, batchSize: batchSize)
    }
}

extension StreamRecord {
    /// The new image decoded into a `Decodable` type (nil when the record has none).
    public func newImage<T: Decodable>(as type: T.Type) throws -> T? {
        try newImage.map { try ItemDecoder().decode(type, from: $0) }
    }

    /// The old image decoded into a `Decodable` type (nil when the record has none).
    public func oldImage<T: Decodable>(as type: T.Type) throws -> T? {
        try oldImage.map { try ItemDecoder().decode(type, from: $0) }
    }
}
