import Foundation
import Testing
@testable import Shoal

@Suite struct ReshardTests {
    /// The background expirer stays away (the tests expire due items themselves, at the end).
    static func options(_ shards: Int = 4) -> DatabaseOptions {
        var options = DatabaseOptions(shardCount: shards, durability: .noSync)
        options.timeToLivePeriod = .seconds(3600)
        return options
    }

    /// A table with a global and a local index and time to live, `count` items.
    static func fill(_ dir: TemporaryDirectory, count: Int) async throws {
        let db = try Database.open(at: dir.path, options: options())
        defer { db.close() }
        var request = CreateTableRequest(tableName: "Things", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions += [AttributeDefinition(attributeName: "colour", attributeType: .s),
                                         AttributeDefinition(attributeName: "rank", attributeType: .n)]
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byColour", partitionKey: "colour")]
        request.localSecondaryIndexes = [LocalSecondaryIndex(indexName: "byRank", keySchema: [
            KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "rank", keyType: .range)])]
        _ = try await db.createTable(request)
        _ = try await db.updateTimeToLive("Things", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        #expect(try await eventually { try db.describeTimeToLive("Things").status == .enabled })
        // ENABLED at once (as in DynamoDB), but a reshard waits for the expiry backfill behind it.
        #expect(try await eventually { db.lookup("Things")?.definition.timeToLive?.backfilling != true })
        let items: [Item] = (0..<count).map { i in
            ["pk": .s("p\(i % 97)"), "sk": .n(Number(i)), "colour": .s(i % 3 == 0 ? "red" : "blue"), "rank": .n(Number(count - i)),
             "expires": .n(Number(i % 10 == 0 ? Int(Date().timeIntervalSince1970) - 100 : 4_000_000_000))]
        }
        #expect(try await db.bulkPut(tableName: "Things", items: items).isEmpty)
    }

    /// Every item, index entry and size total is where the ring says, and nothing was lost.
    static func verify(_ dir: TemporaryDirectory, shards: Int, count: Int) async throws {
        let db = try Database.open(at: dir.path, options: options())
        defer { db.close() }
        #expect(db.shardCount == shards)
        let all = try await db.table("Things").scan()
        #expect(all.count == count)
        var query = QueryRequest(tableName: "Things", keyConditionExpression: "colour = :c", expressionAttributeValues: [":c": "red"])
        query.indexName = "byColour"
        var reds = 0
        var start: Item?
        repeat {
            query.exclusiveStartKey = start
            let page = try await db.query(query)
            reds += page.items.count
            start = page.lastEvaluatedKey
        } while start != nil
        #expect(reds == (0..<count).filter { $0 % 3 == 0 }.count)
        var local = QueryRequest(tableName: "Things", keyConditionExpression: "pk = :p AND #r > :r",
                                 expressionAttributeNames: ["#r": "rank"], expressionAttributeValues: [":p": "p5", ":r": 0])
        local.indexName = "byRank"
        #expect(try await db.query(local).items.count == (0..<count).filter { $0 % 97 == 5 }.count)
        let statistics = try db.storageStatistics()
        #expect(statistics.count == shards)
        #expect(statistics.reduce(0) { $0 + $1.tables.reduce(0) { $0 + $1.items } } == count)
        // Each shard holds only what the ring gives it.
        for shard in statistics {
            let owned = Set((0..<97).filter { db.shardIndex(ofPartitionKey: .s("p\($0)")) == shard.shard })
            let expected = (0..<count).filter { owned.contains($0 % 97) }.count
            #expect(shard.tables.first?.items == expected)
        }
        let description = try db.describeTable("Things").table
        #expect(description.itemCount == count)
        // Time to live still finds the due items (every tenth) in their new shards.
        _ = await db.expireDueItems()
        #expect(try await db.table("Things").scan().count == count - (0..<count).filter { $0 % 10 == 0 }.count)
    }

    @Test func growsThenShrinksMovingOnlyWhatChangesOwner() async throws {
        let dir = TemporaryDirectory()
        try await ReshardTests.fill(dir, count: 3000)
        let grown = try await Reshard.run(at: dir.path, shardCount: 7, durability: .noSync)
        #expect(grown.items == 3000 && !grown.rolledBack)
        // Partition keys are few (97), so the fraction is coarse; the ideal is 3/7.
        #expect(abs(grown.movedFraction - grown.idealFraction) < 0.15)
        let copy = TemporaryDirectory()
        try? FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: dir.path, toPath: copy.path)
        try await ReshardTests.verify(copy, shards: 7, count: 3000)
        let shrunk = try await Reshard.run(at: dir.path, shardCount: 3, durability: .noSync)
        #expect(shrunk.from == 7 && shrunk.to == 3)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/shards/003"))
        try await ReshardTests.verify(dir, shards: 3, count: 3000)
        await expectError(.validation, "\(dir.path) already has 3 shards") {
            _ = try await Reshard.run(at: dir.path, shardCount: 3, durability: .noSync)
        }
    }

    @Test func refusesAnOwnedDirectory() async throws {
        let dir = TemporaryDirectory()
        let db = try Database.open(at: dir.path, options: ReshardTests.options())
        _ = try await db.createTable(CreateTableRequest(tableName: "Owned", partitionKey: ("pk", .s)))
        await expectError(.internalServerError, "The data directory \(dir.path) is in use by another process (pid \(getpid()))") {
            _ = try await Reshard.run(at: dir.path, shardCount: 5, durability: .noSync)
        }
        db.close()
        #expect(try await Reshard.run(at: dir.path, shardCount: 5, durability: .noSync).to == 5)
    }
}
