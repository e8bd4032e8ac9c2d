import Foundation
import LMDB

/// One storage shard: its LMDB environment (`DIR/shards/NNN/`) and its single writer.
struct Shard: Sendable {
    let index: Int
    let environment: Environment
    let writer: ShardWriter
    /// The `stats` database (see ``ShardLayout``).
    let statistics: LMDB.Database

    /// Opens the shard, opening the databases of `liveTables` and deleting those of any other
    /// table (left behind by a DeleteTable that emptied them, or by a crash mid-CreateTable).
    init(path: String, index: Int, options: DatabaseOptions, liveTables: Set<String>) throws {
        var envOptions = EnvironmentOptions()
        envOptions.mapSize = options.initialMapSize
        envOptions.maxMapSize = options.maxMapSize
        envOptions.maxDatabases = options.maxTablesPerShard
        envOptions.noSync = options.durability == .noSync
        envOptions.readOnly = options.readOnly
        let environment = try Environment(path: path, options: envOptions)
        let (statistics, tables) = options.readOnly
            ? try Shard.openReadOnly(environment, liveTables: liveTables)
            : try environment.write { txn -> (LMDB.Database, [String: LMDB.Database]) in
            let statistics = try txn.openDatabase(named: ShardLayout.statisticsName, create: true)!
            var names: [String] = []
            let main = try txn.openDatabase(named: nil)!
            try txn.withCursor(main) { cursor in
                var more = try cursor.first()
                while more {
                    names.append(String(decoding: cursor.key.array, as: UTF8.self))
                    more = try cursor.next()
                }
            }
            var tables: [String: LMDB.Database] = [:]
            for name in names where name.hasPrefix(ShardLayout.itemsPrefix) {
                let id = String(name.dropFirst(ShardLayout.itemsPrefix.count))
                let db = try txn.openDatabase(named: name)!
                if liveTables.contains(id) {
                    tables[id] = db
                } else {
                    try txn.drop(db, delete: true)
                    try txn.delete(statistics, key: ShardLayout.sizeKey(id))
                }
            }
            return (statistics, tables)
        }
        self.index = index
        self.environment = environment
        self.statistics = statistics
        self.writer = ShardWriter(environment: environment, index: index, statistics: statistics, tables: tables,
                                  deletedTableGrace: options.deletedTableGrace)
        self.tableDatabases = tables
    }

    /// The table databases found when the shard was opened.
    let tableDatabases: [String: LMDB.Database]

    /// Opens the databases of `liveTables` without changing anything.
    private static func openReadOnly(_ environment: Environment, liveTables: Set<String>) throws -> (LMDB.Database, [String: LMDB.Database]) {
        try environment.read { txn in
            guard let statistics = try txn.openDatabase(named: ShardLayout.statisticsName) else {
                throw ShoalError.internalError("\(environment.path) is not a Shoal shard")
            }
            var tables: [String: LMDB.Database] = [:]
            for id in liveTables {
                if let db = try txn.openDatabase(named: ShardLayout.itemsName(id)) { tables[id] = db }
            }
            return (statistics, tables)
        }
    }
}
