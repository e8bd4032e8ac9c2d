import Foundation
import LMDB

/// The catalog environment (`DIR/catalog/`): table definitions and the data directory's layout.
///
/// - `meta`: `format` (layout version), `shards` (shard count), `vnodes` (ring points per shard),
///   `reshard` (an unfinished reshard), `lineage:<streamID>` (a resharded stream's ``StreamLineage``),
///   `token-secret` (the key that seals the tokens handed to clients, see ``TokenSealer``).
/// - `tables`: table name → JSON of its ``TableDefinition``.
/// - `streams`: stream id → JSON of its ``StreamDefinition`` (live and ended streams, until retention ends).
/// - `mappings`: event source mapping UUID → JSON of its ``MappingDefinition``.
/// - `checkpoints`: `UUID/shard` → JSON of a mapping's ``MappingCheckpoint`` in that shard.
final class Catalog: Sendable {
    let environment: Environment
    private let meta: LMDB.Database
    private let tables: LMDB.Database
    /// Absent in a read-only catalog written before streams existed.
    private let streams: LMDB.Database?
    /// Absent in a read-only catalog written before triggers existed.
    let mappings: LMDB.Database?
    let checkpoints: LMDB.Database?
    /// 2: index entries carry the projected item (1 stored only the base key).
    static let formatVersion = 2

    struct Layout: Equatable {
        var shardCount: Int
        var virtualNodes: Int
    }

    static let mapSize = 64 << 20
    /// Its five databases, the undo journal and room to spare.
    static let maxDatabases: UInt32 = 16

    /// - Parameter undoJournal: keep an undo journal (for snapshots) starting at or after this position.
    init(path: String, noSync: Bool, readOnly: Bool = false, undoJournal: UInt64? = nil) throws {
        var options = EnvironmentOptions()
        options.mapSize = Catalog.mapSize
        options.maxDatabases = Catalog.maxDatabases
        options.undoJournal = undoJournal
        options.noSync = noSync
        options.readOnly = readOnly
        environment = try Environment(path: path, options: options)
        if readOnly {
            (meta, tables, streams, mappings, checkpoints) = try environment.read { txn in
                guard let meta = try txn.openDatabase(named: "meta"), let tables = try txn.openDatabase(named: "tables") else {
                    throw ShoalError.internalError("\(path) is not a Shoal catalog")
                }
                return (meta, tables, try txn.openDatabase(named: "streams"), try txn.openDatabase(named: "mappings"),
                        try txn.openDatabase(named: "checkpoints"))
            }
        } else {
            (meta, tables, streams, mappings, checkpoints) = try environment.write { txn in
                (try txn.openDatabase(named: "meta", create: true)!, try txn.openDatabase(named: "tables", create: true)!,
                 try txn.openDatabase(named: "streams", create: true)!, try txn.openDatabase(named: "mappings", create: true)!,
                 try txn.openDatabase(named: "checkpoints", create: true)!)
            }
        }
    }

    /// The stored layout of a directory opened read-only.
    func storedLayout() throws -> Layout {
        try environment.read { txn in
            guard let shards = try txn.get(meta, key: Array("shards".utf8)),
                  let vnodes = try txn.get(meta, key: Array("vnodes".utf8)) else {
                throw ShoalError.internalError("The catalog has no layout")
            }
            return Layout(shardCount: ShardLayout.decodeInt(shards), virtualNodes: ShardLayout.decodeInt(vnodes))
        }
    }

    /// The stored layout, or `proposed` stored as the layout of a new directory.
    func layout(proposing proposed: Layout) throws -> Layout {
        try environment.write { txn in
            if let shards = try txn.get(meta, key: Array("shards".utf8)),
               let vnodes = try txn.get(meta, key: Array("vnodes".utf8)) {
                return Layout(shardCount: ShardLayout.decodeInt(shards), virtualNodes: ShardLayout.decodeInt(vnodes))
            }
            try txn.put(meta, key: Array("format".utf8), value: ShardLayout.encodeInt(Catalog.formatVersion))
            try txn.put(meta, key: Array("shards".utf8), value: ShardLayout.encodeInt(proposed.shardCount))
            try txn.put(meta, key: Array("vnodes".utf8), value: ShardLayout.encodeInt(proposed.virtualNodes))
            return proposed
        }
    }

    /// Checks the directory's stored format against this version's: a newer one is refused, an
    /// older one is upgraded when nothing in it changed layout since (format 1 differs only in
    /// index entries, so a directory without indexes is upgraded in place).
    func checkFormat(tables: [TableDefinition], readOnly: Bool) throws {
        let stored = try storedFormat() ?? Catalog.formatVersion
        if stored > Catalog.formatVersion {
            throw ShoalError.internalError("The data directory has storage format \(stored); this version of Shoal reads format \(Catalog.formatVersion) and older")
        }
        guard stored < Catalog.formatVersion else { return }
        if tables.contains(where: { !$0.allIndexes.isEmpty }) {
            throw ShoalError.internalError("The data directory has storage format \(stored), whose secondary index entries this version cannot read: export its tables with the version that wrote it and import them here")
        }
        if !readOnly { try recordFormat(Catalog.formatVersion) }
    }

    /// Stores the directory's format version.
    func recordFormat(_ version: Int) throws {
        try environment.write { txn in try txn.put(meta, key: Array("format".utf8), value: ShardLayout.encodeInt(version)) }
    }

    /// The directory's stored format version.
    func storedFormat() throws -> Int? {
        try environment.read { txn in try txn.get(meta, key: Array("format".utf8)).map(ShardLayout.decodeInt) }
    }

    private static let tokenSecretKey = Array("token-secret".utf8)

    /// The directory's secret for sealing tokens, made on first use. A read-only open of a
    /// directory that has none uses a secret of its own, valid until it closes.
    func tokenSecret(readOnly: Bool) throws -> [UInt8] {
        if let stored = try environment.read({ txn in try txn.get(meta, key: Catalog.tokenSecretKey) }) { return stored }
        let fresh = TokenSealer.makeSecret()
        if readOnly { return fresh }
        return try environment.write { txn in
            if let stored = try txn.get(meta, key: Catalog.tokenSecretKey) { return stored }
            try txn.put(meta, key: Catalog.tokenSecretKey, value: fresh)
            return fresh
        }
    }

    // MARK: Resharding

    /// An unfinished reshard (`meta: reshard`), or nil.
    func reshardState() throws -> ReshardState? {
        try environment.read { txn in
            try txn.get(meta, key: Catalog.reshardKey).map { try JSONDecoder().decode(ReshardState.self, from: Data($0)) }
        }
    }

    /// Records a reshard's state (nil: none), and with `shardCount` the new layout and the streams'
    /// new lineages, in one commit.
    /// `tables`: definitions to replace in the same commit.
    func setReshardState(_ state: ReshardState?, shardCount: Int? = nil, lineages: [String: StreamLineage] = [:],
                         tables replaced: [TableDefinition] = []) throws {
        let value = try state.map { Array(try JSONEncoder().encode($0)) }
        let encoded = try lineages.map { (Catalog.lineageKey($0.key), Array(try JSONEncoder().encode($0.value))) }
        let definitions = try replaced.map { (Array($0.name.utf8), Array(try JSONEncoder().encode($0))) }
        try environment.write { txn in
            for (key, value) in definitions { try txn.put(tables, key: key, value: value) }
            if let value { try txn.put(meta, key: Catalog.reshardKey, value: value) } else { _ = try txn.delete(meta, key: Catalog.reshardKey) }
            if let shardCount { try txn.put(meta, key: Array("shards".utf8), value: ShardLayout.encodeInt(shardCount)) }
            for (key, value) in encoded { try txn.put(meta, key: key, value: value) }
        }
    }

    private static let lineagePrefix = "lineage:"

    private static func lineageKey(_ streamID: String) -> [UInt8] { Array((lineagePrefix + streamID).utf8) }

    /// The lineage of every stream that was resharded, by stream id.
    func streamLineages() throws -> [String: StreamLineage] {
        let prefix = Array(Catalog.lineagePrefix.utf8)
        return try environment.read { txn in
            try txn.withCursor(meta) { cursor in
                var lineages: [String: StreamLineage] = [:]
                var more = try cursor.seek(atOrAfter: prefix)
                while more, cursor.key.array.starts(with: prefix) {
                    let id = String(decoding: cursor.key.array.dropFirst(prefix.count), as: UTF8.self)
                    lineages[id] = try JSONDecoder().decode(StreamLineage.self, from: Data(cursor.value.array))
                    more = try cursor.next()
                }
                return lineages
            }
        }
    }

    func removeStreamLineage(_ streamID: String) throws {
        try environment.write { txn in _ = try txn.delete(meta, key: Catalog.lineageKey(streamID)) }
    }

    private static let reshardKey = Array("reshard".utf8)

    func allTables() throws -> [TableDefinition] {
        try decodeAll(tables, as: TableDefinition.self)
    }

    /// Every JSON value of one of the catalog's databases, decoded.
    func decodeAll<T: Decodable>(_ db: LMDB.Database, as type: T.Type) throws -> [T] {
        try environment.read { txn in
            try txn.withCursor(db) { cursor in
                var result: [T] = []
                var more = try cursor.first()
                while more {
                    result.append(try JSONDecoder().decode(type, from: Data(cursor.value.array)))
                    more = try cursor.next()
                }
                return result
            }
        }
    }

    /// Stores a new definition. - Returns: false when a table of that name exists.
    func insert(_ definition: TableDefinition) throws -> Bool {
        let value = Array(try JSONEncoder().encode(definition))
        return try environment.write { txn in
            do {
                try txn.put(tables, key: Array(definition.name.utf8), value: value, flags: .noOverwrite)
                return true
            } catch LMDBError.keyExists {
                return false
            }
        }
    }

    /// Replaces a table's stored definition.
    func replace(_ definition: TableDefinition) throws {
        let value = Array(try JSONEncoder().encode(definition))
        try environment.write { txn in try txn.put(tables, key: Array(definition.name.utf8), value: value) }
    }

    func allStreams() throws -> [StreamDefinition] {
        guard let streams else { return [] }
        return try decodeAll(streams, as: StreamDefinition.self)
    }

    /// Stores (or replaces) a stream's definition.
    func putStream(_ definition: StreamDefinition) throws {
        guard let streams else { throw ShoalError.internalError("The catalog is read-only") }
        let value = Array(try JSONEncoder().encode(definition))
        try environment.write { txn in try txn.put(streams, key: Array(definition.id.utf8), value: value) }
    }

    func removeStream(_ id: String) throws {
        guard let streams else { return }
        try environment.write { txn in _ = try txn.delete(streams, key: Array(id.utf8)) }
    }

    func remove(_ name: String) throws {
        try environment.write { txn in _ = try txn.delete(tables, key: Array(name.utf8)) }
    }
}
