import Foundation
import struct LMDB.EnvironmentOptions
import class LMDB.Environment
import Testing
@testable import Shoal

/// Snapshots and rollback: every table, index, stream and setting comes back exactly as it was.
@Suite struct SnapshotTests {
    /// A lifecycle over a directory that reopens it with the same options, as the server's does.
    private func makeLifecycle(shards: Int = 2) throws -> (DatabaseLifecycle, TemporaryDirectory, DatabaseOptions) {
        let dir = TemporaryDirectory()
        let options = DatabaseOptions(shardCount: shards, durability: .noSync)
        let database = try Database.open(at: dir.path, options: options)
        let lifecycle = DatabaseLifecycle(database, path: dir.path, durability: .noSync, reopen: DatabaseLifecycle.sameDirectory)
        return (lifecycle, dir, options)
    }

    /// Everything a test could observe: tables and their descriptions' shapes, items, index
    /// contents, TTL settings and stream records.
    private func state(_ db: Shoal.Database) async throws -> [String] {
        var lines: [String] = []
        for name in try db.listTables().tableNames {
            let table = try db.describeTable(name).table
            lines.append("table \(name) gsi=\(table.globalSecondaryIndexes?.map(\.indexName).sorted() ?? []) stream=\(table.latestStreamArn != nil) items=\(table.itemCount)")
            lines.append("ttl \(name) \(String(describing: try db.describeTimeToLive(name)))")
            lines += try await db.table(name).scan().map { "item \(name) \(describe($0.dictionary))" }.sorted()
            for index in table.globalSecondaryIndexes ?? [] {
                lines += try await db.table(name).index(index.indexName).scan().map { "index \(name)/\(index.indexName) \(describe($0.dictionary))" }.sorted()
            }
            if let stream = table.latestStreamArn {
                for shard in try db.describeStream(streamArn: stream).shards {
                    let iterator = try db.getShardIterator(streamArn: stream, shardId: shard.shardId, type: .trimHorizon)
                    for record in try db.getRecords(shardIterator: iterator, limit: 1000).records {
                        lines.append("record \(name) \(record.eventName) \(record.sequenceNumber) \(describe(record.keys.dictionary))")
                    }
                }
            }
        }
        return lines
    }

    private func describe(_ item: Item) -> String {
        item.sorted { $0.key.string < $1.key.string }.map { "\($0.key.string)=\($0.value)" }.joined(separator: ",")
    }

    private func seed(_ db: Shoal.Database) async throws {
        var request = CreateTableRequest(tableName: "Orders", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "status", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byStatus", partitionKey: "status")]
        request.streamSpecification = .enabled(.newAndOldImages)
        _ = try await db.createTable(request)
        _ = try await db.updateTimeToLive("Orders", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        for i in 0..<50 {
            try await db.table("Orders").put(["pk": .s("c\(i % 7)"), "sk": .n(Number(i)), "status": .s(i % 2 == 0 ? "open" : "shipped"),
                                              "expires": .n(Number(4_000_000_000 + i))])
        }
    }

    @Test func rollbackPutsEverythingBackAsItWas() async throws {
        let (lifecycle, dir, _) = try makeLifecycle()
        defer { withExtendedLifetime(dir) {} }
        try await seed(lifecycle.current)
        let before = try await state(lifecycle.current)
        #expect(before.count > 100)
        try await lifecycle.createSnapshot(named: "seeded")

        // Puts, updates, deletes, a new table, a deleted table's worth of changes, index changes.
        let db = lifecycle.current
        for i in 0..<20 {
            try await db.table("Orders").put(["pk": .s("c\(i % 7)"), "sk": .n(Number(i)), "status": .s("cancelled")])
        }
        _ = try await db.table("Orders").delete(["pk": "c1", "sk": .n(8)])
        try await db.table("Orders").put(["pk": "new", "sk": 1, "status": "open"])
        _ = try await db.createTable(CreateTableRequest(tableName: "Scratch", partitionKey: ("id", .s)))
        try await db.table("Scratch").put(["id": "x"])
        _ = try await db.updateTimeToLive("Orders", TimeToLiveSpecification(enabled: false, attributeName: "expires"))
        #expect(try await state(lifecycle.current) != before)

        let report = try await lifecycle.restoreSnapshot(named: "seeded")
        #expect(report.changesUndone > 0)
        #expect(try await state(lifecycle.current) == before)
        // The snapshot stays: change and roll back again, and a deleted table comes back whole.
        _ = try await lifecycle.current.deleteTable("Orders")
        #expect(try lifecycle.current.listTables().tableNames.isEmpty)
        try await lifecycle.restoreSnapshot(named: "seeded")
        #expect(try await state(lifecycle.current) == before)
        // Writes after a rollback are journaled afresh (a second rollback undoes them too).
        try await lifecycle.current.table("Orders").put(["pk": "after", "sk": 1])
        try await lifecycle.restoreSnapshot(named: "seeded")
        #expect(try await state(lifecycle.current) == before)
        #expect(try lifecycle.listSnapshots().map(\.name) == ["seeded"])
        await lifecycle.current.shutdown()
    }

    @Test func laterSnapshotsGoWithARollbackAndDeletingTheLastStopsTheJournal() async throws {
        let (lifecycle, dir, options) = try makeLifecycle()
        defer { withExtendedLifetime(dir) {} }
        try await seed(lifecycle.current)
        try await lifecycle.createSnapshot(named: "one")
        try await lifecycle.current.table("Orders").put(["pk": "two", "sk": 2])
        let atTwo = try await state(lifecycle.current)
        try await lifecycle.createSnapshot(named: "two")
        try await lifecycle.current.table("Orders").put(["pk": "three", "sk": 3])
        try await lifecycle.restoreSnapshot(named: "two")
        #expect(try await state(lifecycle.current) == atTwo)
        #expect(try lifecycle.listSnapshots().map(\.name) == ["one", "two"])
        try await lifecycle.restoreSnapshot(named: "one")
        #expect(try lifecycle.listSnapshots().map(\.name) == ["one"])
        #expect(try await lifecycle.current.table("Orders").get(["pk": "two", "sk": 2]) == nil)

        await expectError(.resourceInUse, "Snapshot one already exists") { try await lifecycle.createSnapshot(named: "one") }
        await expectError(.resourceNotFound, "Snapshot nope not found") { try await lifecycle.restoreSnapshot(named: "nope") }
        await expectError(.validation, "1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 255") {
            try await lifecycle.createSnapshot(named: "a b")
        }
        await expectError(.validation, "The data directory has snapshots: delete them (DeleteSnapshot) before resharding") {
            _ = try await lifecycle.reshard(to: 3)
        }
        try await lifecycle.deleteSnapshot(named: "one")
        #expect(try lifecycle.listSnapshots().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/snapshots.json"))
        #expect(lifecycle.current.catalog.environment.undoJournalPosition == nil)
        await lifecycle.current.shutdown()
        // No journal is left in any environment.
        let shard = try Environment(path: dir.path + "/shards/000", options: SnapshotDirectory.environmentOptions("shards/000", options: options))
        #expect(try shard.hasJournal() == false)
        shard.close()
    }

    /// A rollback a crash interrupted (the registry noted it, one environment was rolled back,
    /// the others not) is finished by the next open.
    @Test func anInterruptedRollbackIsFinishedOnOpen() async throws {
        let (lifecycle, dir, options) = try makeLifecycle(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        try await seed(lifecycle.current)
        let before = try await state(lifecycle.current)
        try await lifecycle.createSnapshot(named: "base")
        for i in 0..<30 { try await lifecycle.current.table("Orders").put(["pk": .s("x\(i)"), "sk": 0, "status": "open"]) }
        await lifecycle.current.shutdown()

        var registry = try SnapshotRegistry.load(dir.path)
        registry.restoring = "base"
        try registry.save(dir.path)
        let marks = registry.snapshot(named: "base")!.marks
        let environment = try Environment(path: dir.path + "/shards/001", options: SnapshotDirectory.environmentOptions("shards/001", options: options))
        #expect(try environment.rollBackJournal(to: marks["shards/001"]!) > 0)
        environment.close()

        let reopened = try Database.open(at: dir.path, options: options)
        #expect(try await state(reopened) == before)
        #expect(try SnapshotRegistry.load(dir.path).restoring == nil)
        await reopened.shutdown()
    }

    @Test func resetEmptiesTheDatabase() async throws {
        let (lifecycle, dir, _) = try makeLifecycle()
        defer { withExtendedLifetime(dir) {} }
        try await seed(lifecycle.current)
        try await lifecycle.createSnapshot(named: "s")
        try await lifecycle.resetDatabase()
        #expect(try lifecycle.current.listTables().tableNames.isEmpty)
        #expect(try lifecycle.listSnapshots().isEmpty)
        #expect(lifecycle.current.shardCount == 2)
        try await seed(lifecycle.current)
        #expect(try await lifecycle.current.table("Orders").scan().count == 50)
        await lifecycle.current.shutdown()
    }
}
