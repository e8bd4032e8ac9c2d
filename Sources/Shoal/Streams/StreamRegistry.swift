import Foundation
import LMDB

/// A stream as the engine reads it: its definition, its database in each shard, its shards'
/// lineage and the archives of storage shards a reshard removed.
final class StreamHandle: Sendable {
    let definition: StreamDefinition
    /// By shard index.
    let databases: [LMDB.Database]
    let lineage: StreamLineage
    /// In shard 0, by removed storage shard index.
    let archives: [Int: LMDB.Database]

    init(definition: StreamDefinition, databases: [LMDB.Database], lineage: StreamLineage? = nil, archives: [Int: LMDB.Database] = [:]) {
        self.definition = definition
        self.databases = databases
        self.lineage = lineage ?? .initial(createdAt: definition.createdAt, shardCount: databases.count)
        self.archives = archives
    }

    /// The same stream with a changed definition (ended).
    func with(definition: StreamDefinition) -> StreamHandle {
        StreamHandle(definition: definition, databases: databases, lineage: lineage, archives: archives)
    }

    /// Every stream shard, oldest generation first.
    var shards: [StreamShardRef] { lineage.shards }

    /// The shards of the current generation (one per storage shard).
    var currentShards: [StreamShardRef] { shards.filter { $0.generation == lineage.generations.count - 1 } }

    func shard(ordinal: Int) -> StreamShardRef? { shards.first { $0.ordinal == ordinal } }

    func shard(id: String) -> StreamShardRef? { shards.first { $0.shardID == id } }

    /// Where a stream shard's records are: the storage shard whose environment holds them and the database.
    func location(_ ref: StreamShardRef) -> (environment: Int, db: LMDB.Database, archive: Int?)? {
        if ref.archived {
            return archives[ref.index].map { (0, $0, ref.index) }
        }
        return databases.indices.contains(ref.index) ? (ref.index, databases[ref.index], nil) : nil
    }
}

extension Database {
    /// The catalog's streams, with every stream that no table has as its live stream marked ended
    /// (a crash between the catalog writes of an enable, a disable or a DeleteTable).
    static func settleStreams(_ streams: [StreamDefinition], tables: [String: TableDefinition], catalog: Catalog?) throws -> [StreamDefinition] {
        let now = Date().timeIntervalSince1970
        return try streams.map { stream in
            guard stream.endedAt == nil, tables[stream.tableID]?.liveStream?.id != stream.id else { return stream }
            var ended = stream
            ended.endedAt = now
            try catalog?.putStream(ended)
            return ended
        }
    }

    /// The handles of the streams whose database every shard has.
    static func streamHandles(_ streams: [StreamDefinition], lineages: [String: StreamLineage], shards: [Shard],
                              tables: [String: TableHandle]) -> [String: StreamHandle] {
        var handles: [String: StreamHandle] = [:]
        let liveStorage = Dictionary(tables.values.compactMap { table in table.definition.liveStream.map { ($0.id, table) } },
                                     uniquingKeysWith: { a, _ in a })
        for stream in streams {
            let databases = shards.indices.compactMap { index in
                shards[index].streamDatabases[stream.id] ?? liveStorage[stream.id]?.storages[index].stream?.db
            }
            guard databases.count == shards.count else { continue }
            handles[stream.id] = StreamHandle(definition: stream, databases: databases, lineage: lineages[stream.id],
                                              archives: shards.first?.streamArchives[stream.id] ?? [:])
        }
        return handles
    }

    func streamHandle(_ id: String) -> StreamHandle? { streamService.handle(id) }

    func registerStream(_ handle: StreamHandle) { streamService.register(handle) }
}

extension Database {
    /// UpdateTable's stream enable: a new stream (new id, label and ARN), recorded in the catalog
    /// first, then started through the schema funnel (every shard opens the stream's database,
    /// and from that commit on each change appends a record). Of two concurrent enables, the
    /// funnel lets one through; the other finds the stream enabled.
    func enableStream(_ viewType: StreamViewType, table handle: TableHandle) async throws(ShoalError) -> TableHandle {
        let definition = handle.definition
        let stream = StreamDefinition.new(table: definition.name, tableID: definition.id, viewType: viewType,
                                          primaryKey: definition.primaryKey, at: options.clock.now)
        // A crash after this leaves a stream no table names: the next open records it as ended.
        try runSync { try catalog.putStream(stream) }
        do {
            let updated = try await alterTable(definition.name, id: definition.id) { table throws(ShoalError) in
                guard table.liveStream == nil else {
                    throw .validation("Table already has an enabled stream: TableName: \(table.name)")
                }
                table.stream = stream
            }
            registerStream(StreamHandle(definition: stream, databases: updated.storages.compactMap { $0.stream?.db }))
            return updated
        } catch {
            try? catalog.removeStream(stream.id)
            throw error
        }
    }

    /// UpdateTable's stream disable: writes stop appending (through the schema funnel); the
    /// stream stays readable until its records age out.
    func disableStream(table handle: TableHandle) async throws(ShoalError) -> TableHandle {
        let definition = handle.definition
        guard definition.liveStream != nil else { return handle }
        var ended: StreamDefinition?
        let updated = try await alterTable(definition.name, id: definition.id) { table throws(ShoalError) in
            guard var stream = table.liveStream else { return }
            stream.endedAt = self.options.clock.now.timeIntervalSince1970
            table.stream = stream
            ended = stream
        }
        if let ended {
            try runSync { try catalog.putStream(ended) }
            if let live = streamHandle(ended.id) { registerStream(live.with(definition: ended)) }
        }
        return updated
    }
}
