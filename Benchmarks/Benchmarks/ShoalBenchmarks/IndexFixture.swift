import Foundation
import GRDB
@_spi(Benchmarks) import Shoal

/// The data set of the secondary-index benchmarks: the main fixture's items plus a group
/// attribute, stored in Shoal with 1, 4 and 16 shards (a GSI on the group, an LSI on the age)
/// and in SQLite through GRDB with a secondary index on the group. Built once on disk.
///
/// Item `i` belongs to group `i % groups` (100 items per group, each from a different base
/// partition, so a group's items live in every shard) and carries `ts = i`, the group's sort key.
struct IndexFixture: @unchecked Sendable {
    // @unchecked: DatabasePool is thread-safe; the other members are Sendable.
    static let itemCount = Fixture.itemCount
    static let groups = max(itemCount / 100, 1)
    static let layout = 1
    static let directory = NSTemporaryDirectory() + "shoal-bench-index-fixture-v\(StorageFormat.version).\(layout)-\(itemCount)"
    static let tableName = "Indexed"
    static let shardCounts = [1, 4, 16]

    /// The Shoal databases, by shard count.
    let shoal: [Int: Shoal.Database]
    let sqlite: DatabasePool

    static func item(_ i: Int) -> Item {
        var item = Fixture.item(i)
        item["grp"] = .s(group(i))
        item["ts"] = .n(Number(i))
        return item
    }

    static func group(_ i: Int) -> String { "group-\(i % groups)" }

    static var createTable: CreateTableRequest {
        var request = CreateTableRequest(tableName: tableName, partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions += [AttributeDefinition(attributeName: "grp", attributeType: .s),
                                         AttributeDefinition(attributeName: "ts", attributeType: .n),
                                         AttributeDefinition(attributeName: "age", attributeType: .n)]
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byGroup", partitionKey: "grp", sortKey: "ts")]
        request.localSecondaryIndexes = [LocalSecondaryIndex(indexName: "byAge",
                                                             keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash),
                                                                         KeySchemaElement(attributeName: "age", keyType: .range)])]
        return request
    }

    static func open() async throws -> IndexFixture {
        try await buildOnce(directory, build)
        return try connect()
    }

    private static func connect() throws -> IndexFixture {
        var shoal: [Int: Shoal.Database] = [:]
        for shards in shardCounts {
            shoal[shards] = try Shoal.Database.open(at: directory + "/shoal-\(shards)",
                                                    options: DatabaseOptions(shardCount: shards, durability: .noSync))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return IndexFixture(shoal: shoal, sqlite: try DatabasePool(path: directory + "/sqlite.db"))
    }

    func close() {
        for database in shoal.values { database.close() }
    }

    private static func build() async throws {
        print("Building the index benchmark fixture: \(itemCount) items in \(directory)")
        let fixture = try connect()
        for shards in shardCounts {
            let database = fixture.shoal[shards]!
            _ = try await database.createTable(createTable)
            try await load(database, items: 0..<itemCount)
        }
        try await fixture.sqlite.write { db in
            try db.execute(sql: "CREATE TABLE kv (pk TEXT NOT NULL, sk INTEGER NOT NULL, grp TEXT NOT NULL, ts INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID")
            let insert = try db.makeStatement(sql: "INSERT INTO kv (pk, sk, grp, ts, item) VALUES (?, ?, ?, ?, ?)")
            for i in 0..<itemCount {
                try insert.execute(arguments: ["user-\(i / Fixture.partitionSize)", i % Fixture.partitionSize, group(i), i,
                                               Data(StorageFormat.value(of: item(i)))])
            }
            try db.execute(sql: "CREATE INDEX kv_by_group ON kv (grp, ts)")
        }
        fixture.close()
        print("Index fixture ready")
    }

    /// Writes `items` with BatchWriteItem from 8 concurrent loaders.
    static func load(_ database: Shoal.Database, items: Range<Int>, item: @escaping @Sendable (Int) -> Item = IndexFixture.item) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let loaders = 8
            for loader in 0..<loaders {
                group.addTask {
                    var start = items.lowerBound + loader * 25
                    while start < items.upperBound {
                        let writes = (start..<min(start + 25, items.upperBound)).map { WriteRequest.put(item($0)) }
                        _ = try await database.batchWriteItem(BatchWriteItemRequest(requestItems: [tableName: writes]))
                        start += loaders * 25
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
