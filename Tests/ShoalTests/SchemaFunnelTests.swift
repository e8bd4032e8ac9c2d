import Foundation
import Testing
@testable import Shoal

/// The schema funnel: every table change goes catalog, shards, registry; a failure in the shards
/// puts everything back; a crash after the catalog is completed on open; storage changes never
/// interleave; and a definition-only change cannot alter storage.
@Suite struct SchemaFunnelTests {
    private func open(_ dir: TemporaryDirectory, maxDatabases: UInt32 = 4096) throws -> Database {
        var options = DatabaseOptions(shardCount: 2, durability: .noSync)
        options.maxDatabasesPerShard = maxDatabases
        options.timeToLivePeriod = .milliseconds(100)
        return try Database.open(at: dir.path, options: options)
    }

    private func addIndex(_ db: Database, _ name: String) async throws {
        _ = try await db.updateTable(UpdateTableRequest(tableName: "Tbl", attributeDefinitions: [AttributeDefinition(attributeName: "g", attributeType: .s)],
                                                        globalSecondaryIndexUpdates: [.create(GlobalSecondaryIndex(name, partitionKey: "g"))]))
    }

    @Test func aChangeTheShardsCannotTakeIsUndoneEverywhere() async throws {
        let dir = TemporaryDirectory()
        // `stats`, the table's items and one index fit; a second index does not.
        let db = try open(dir, maxDatabases: 3)
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        try await addIndex(db, "first")
        #expect(try await eventually { db.lookup("Tbl")?.definition.index(named: "first")?.status == .active })
        await expectError(.limitExceeded, "Subscriber limit exceeded: this data directory holds at most 2 databases: one per table, one per secondary index and one per change stream (a deleted table or index counts for 30.0 seconds after its deletion)") {
            try await addIndex(db, "second")
        }
        // The registry, the catalog and every shard's storage are as before the change.
        let handle = try #require(db.lookup("Tbl"))
        #expect(handle.definition.allIndexes.map(\.name) == ["first"])
        #expect(handle.storages.allSatisfy { $0.indexes.map(\.rules.name) == ["first"] && $0.tableID == handle.definition.id })
        let stored = try db.catalog.allTables().first { $0.name == "Tbl" }
        #expect(stored == handle.definition)
        // Writes still maintain the index the table has.
        try await db.table("Tbl").put(["id": "a", "g": "x"])
        #expect(try await db.table("Tbl").index("first").query(["g": "x"]).count == 1)
        await db.shutdown()
        let reopened = try open(dir)
        #expect(reopened.lookup("Tbl")?.definition.allIndexes.map(\.name) == ["first"])
        await reopened.shutdown()
    }

    @Test func aDefinitionTheShardsHaveNotAppliedIsCompletedOnOpen() async throws {
        let dir = TemporaryDirectory()
        let db = try open(dir)
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        let past = Number(Int(Date().timeIntervalSince1970) - 60)
        for i in 0..<40 { try await db.table("Tbl").put(["id": .s("k\(i)"), "g": .s("v\(i % 4)"), "exp": .n(past)]) }
        // Step 1 only, as a crash right after it would leave the directory: the catalog has an
        // index being created, time to live and a stream that no shard has.
        var definition = try #require(db.lookup("Tbl")).definition
        let index = try IndexValidation.resolveGlobal(GlobalSecondaryIndex("byG", partitionKey: "g"),
                                                      types: [AttributeName("id"): .s, AttributeName("g"): .s], billing: definition.billingMode)
        var creating = index
        creating.status = .creating
        definition.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
        definition.indexes = [creating]
        definition.timeToLive = TimeToLiveState(attributeName: "exp", backfilling: true)
        try db.catalog.replace(definition)
        await db.shutdown()

        let reopened = try open(dir)
        let handle = try #require(reopened.lookup("Tbl"))
        #expect(handle.storages.allSatisfy { $0.indexes.count == 1 && $0.ttlAttribute == "exp" })
        // The resumed backfill indexes every item, and the expirer finds them in the expiry order.
        #expect(try await eventually { reopened.lookup("Tbl")?.definition.index(named: "byG")?.status == .active })
        #expect(try await eventually { try await reopened.table("Tbl").scan().isEmpty })
        await reopened.shutdown()
    }

    @Test func storageChangesMadeTogetherAllLand() async throws {
        let dir = TemporaryDirectory()
        let db = try open(dir)
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await addIndex(db, "byG") }
            group.addTask { try await db.updateTimeToLive("Tbl", TimeToLiveSpecification(enabled: true, attributeName: "exp")) }
            group.addTask { _ = try await db.updateTable(UpdateTableRequest(tableName: "Tbl", streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newImage))) }
            group.addTask { try db.tagResource(tableName: "Tbl", tags: ["team": "shoal"]) }
            try await group.waitForAll()
        }
        // The index's backfill ends with one more change through the funnel.
        #expect(try await eventually { db.lookup("Tbl")?.definition.index(named: "byG")?.status == .active })
        let handle = try #require(db.lookup("Tbl"))
        #expect(handle.definition.index(named: "byG") != nil)
        #expect(handle.definition.timeToLive?.attributeName == "exp")
        #expect(handle.definition.liveStream != nil)
        #expect(handle.definition.tags?["team"] == "shoal")
        #expect(handle.storages.allSatisfy { $0.indexes.count == 1 && $0.ttlAttribute == "exp" && $0.stream?.id == handle.definition.liveStream?.id })
        #expect(try db.catalog.allTables().first { $0.name == "Tbl" } == handle.definition)
        await db.shutdown()
    }

    /// A change that only takes storage away is visible before the shards drop it (reads refuse a
    /// deleting index at once); one that adds waits for the shards, and an abandoned one is undone.
    @Test func removalsAreVisibleAtOnceAndAdditionsAfterTheShards() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        var request = CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byG", partitionKey: "g")]
        _ = try await db.createTable(request)
        let storages = try #require(db.lookup("Tbl")).storages
        // Step 1 of deleting the index: the registry shows it DELETING before any shard dropped it.
        let (before, _) = try db.tables.change("Tbl", id: nil, storage: true) { definition throws(ShoalError) in
            definition.indexes = definition.allIndexes.map { var i = $0; i.status = .deleting; return i }
        }
        #expect(db.lookup("Tbl")?.definition.index(named: "byG")?.status == .deleting)
        await expectError(.validation, "The table does not have the specified index: byG") {
            _ = try await db.table("Tbl").index("byG").query(["g": "x"])
        }
        db.tables.abandon("Tbl", restoring: before)
        #expect(db.lookup("Tbl")?.definition.index(named: "byG")?.status == .active)
        // Enabling time to live adds storage: staged, the registry unchanged until the commit.
        _ = try db.tables.change("Tbl", id: nil, storage: true) { definition throws(ShoalError) in
            definition.timeToLive = TimeToLiveState(attributeName: "exp", backfilling: false)
        }
        #expect(db.lookup("Tbl")?.definition.timeToLive == nil)
        let committed = db.tables.commit("Tbl", storages: storages)
        #expect(committed?.definition.timeToLive?.attributeName == "exp")
        await db.shutdown()
    }

    @Test func aDefinitionOnlyChangeCannotAlterStorage() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        await expectError(.internalServerError, "A change of Tbl's storage was made outside the schema funnel") {
            try db.changeDefinition("Tbl") { $0.timeToLive = TimeToLiveState(attributeName: "exp", backfilling: false) }
        }
        #expect(db.lookup("Tbl")?.definition.timeToLive == nil)
        #expect(try db.catalog.allTables().first { $0.name == "Tbl" }?.timeToLive == nil)
        await db.shutdown()
    }

    @Test func theAsyncLockGrantsInArrivalOrder() async {
        let lock = AsyncLock()
        await lock.acquire()
        let order = OrderLog()
        let first = Task { await lock.acquire(); await order.append(1); lock.release() }
        while await lock.waitingForTest < 1 { await Task.yield() }
        let second = Task { await lock.acquire(); await order.append(2); lock.release() }
        while await lock.waitingForTest < 2 { await Task.yield() }
        #expect(await order.values.isEmpty)
        lock.release()
        await first.value
        await second.value
        #expect(await order.values == [1, 2])
    }
}

private actor OrderLog {
    var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}

extension AsyncLock {
    var waitingForTest: Int { get async { waitingCount } }
}
