import Foundation
import LMDB

/// Where a mapping stands in one stream shard: the last record counter it finished (nil: it has
/// not started, and reads from the trim horizon) and, with a tumbling window, the open window.
struct MappingCheckpoint: Sendable, Codable, Equatable {
    var after: UInt64?
    /// Start of the open tumbling window (seconds since 1970) and the state the function returned.
    var windowStart: Double?
    var windowState: String?
}

extension Catalog {
    private func requireMappings() throws -> (LMDB.Database, LMDB.Database) {
        guard let mappings, let checkpoints else { throw ShoalError.internalError("The catalog is read-only") }
        return (mappings, checkpoints)
    }

    func allMappings() throws -> [MappingDefinition] {
        guard let mappings else { return [] }
        return try decodeAll(mappings, as: MappingDefinition.self)
    }

    /// Stores a mapping's definition, and with it (one transaction) the checkpoints given.
    func putMapping(_ definition: MappingDefinition, checkpoints initial: [Int: MappingCheckpoint] = [:]) throws {
        let (mappings, checkpoints) = try requireMappings()
        let value = Array(try JSONEncoder().encode(definition))
        let encoded = try initial.map { (Catalog.checkpointKey(definition.uuid, $0.key), Array(try JSONEncoder().encode($0.value))) }
        try environment.write { txn in
            try txn.put(mappings, key: Array(definition.uuid.utf8), value: value)
            for (key, value) in encoded { try txn.put(checkpoints, key: key, value: value) }
        }
    }

    /// Removes a mapping and every checkpoint of it.
    func removeMapping(_ uuid: String) throws {
        let (mappings, checkpoints) = try requireMappings()
        let prefix = Array((uuid + "/").utf8)
        try environment.write { txn in
            _ = try txn.delete(mappings, key: Array(uuid.utf8))
            try txn.withCursor(checkpoints) { cursor in
                var more = try cursor.seek(atOrAfter: prefix)
                while more && cursor.key.array.starts(with: prefix) {
                    try cursor.deleteCurrent()
                    more = try cursor.seek(atOrAfter: prefix)
                }
            }
        }
    }

    func mapping(_ uuid: String) throws -> MappingDefinition? {
        guard let mappings else { return nil }
        return try environment.read { txn in
            try txn.get(mappings, key: Array(uuid.utf8)).map { try JSONDecoder().decode(MappingDefinition.self, from: Data($0)) }
        }
    }

    func checkpoint(_ uuid: String, shard: Int) throws -> MappingCheckpoint? {
        guard let checkpoints else { return nil }
        return try environment.read { txn in
            try txn.get(checkpoints, key: Catalog.checkpointKey(uuid, shard)).map { try JSONDecoder().decode(MappingCheckpoint.self, from: Data($0)) }
        }
    }

    /// Stores a checkpoint (durably, when the directory is `sync`): what the mapping finished.
    func putCheckpoint(_ checkpoint: MappingCheckpoint, uuid: String, shard: Int) throws {
        let (_, checkpoints) = try requireMappings()
        let value = Array(try JSONEncoder().encode(checkpoint))
        try environment.write { txn in try txn.put(checkpoints, key: Catalog.checkpointKey(uuid, shard), value: value) }
    }

    static func checkpointKey(_ uuid: String, _ shard: Int) -> [UInt8] {
        Array("\(uuid)/\(Database.shardFolder(shard))".utf8)
    }
}
