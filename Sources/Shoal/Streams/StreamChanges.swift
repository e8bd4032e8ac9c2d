import Foundation

/// Where ``StreamChanges`` starts reading.
public enum ChangesStart: Sendable, Equatable {
    /// From the oldest record still retained.
    case trimHorizon
    /// With the first change committed after the sequence starts.
    case latest
    /// After these sequence numbers (the last one seen in each shard, as a subscriber saves
    /// them); shards none of them names start from the oldest record.
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
        private var positions: [UInt64] = []
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
            guard let stream else { return nil }
            let signal = database.commitSignal
            while !Task.isCancelled {
                // A closed database has closed its environments: the sequence ends.
                if signal.isClosed { return nil }
                let seen = signal.version
                let count = positions.count
                for k in 0..<count {
                    let index = (nextShard + k) % count
                    let page: StreamShardPage
                    do {
                        page = try database.readStream(stream, shard: index, after: positions[index], limit: batchSize)
                    } catch {
                        if signal.isClosed { return nil }   // closed while reading
                        throw error
                    }
                    if let last = page.last, !page.records.isEmpty {
                        positions[index] = last
                        nextShard = (index + 1) % count
                        return page.records
                    }
                }
                if signal.isClosed { return nil }
                if database.streamHandle(stream.definition.id)?.definition.endedAt != nil { return nil }
                await signal.wait(after: seen)
            }
            return nil
        }

        /// The table's live stream and the position to start from in each shard.
        private mutating func resolve() throws(ShoalError) {
            let handle = try database.handle(tableName)
            guard let live = handle.definition.liveStream, let stream = database.streamHandle(live.id) else {
                throw .validation("Table \(tableName) has no enabled stream")
            }
            var positions: [UInt64] = []
            for index in database.shards.indices {
                let horizon = try database.trimHorizon(stream, index)
                switch start {
                case .trimHorizon:
                    positions.append(horizon)
                case .latest:
                    positions.append(Swift.max(try database.lastCounter(stream, index) ?? 0, horizon))
                case .after(let sequenceNumbers):
                    let named = sequenceNumbers.compactMap(StreamRecordCodec.parse(sequenceNumber:)).first { $0.shard == index }
                    positions.append(named?.counter ?? horizon)
                }
            }
            self.stream = stream
            self.positions = positions
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
