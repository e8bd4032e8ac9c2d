import Foundation
import LMDB
import Testing
@testable import Shoal

@Suite struct WritePathTests {
    @Test func concurrentDurableWritesShareCommits() async throws {
        let (db, dir) = try makeDatabase(shards: 1, durability: .sync)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Hot", partitionKey: ("id", .s)))
        let writer = db.shards[0].writer
        let groupsBefore = writer.committedGroups.load(ordering: .relaxed)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for i in 0..<20 { try await db.table("Hot").put(["id": .s("t\(task)-\(i)")]) }
                }
            }
            try await group.waitForAll()
        }
        let groups = writer.committedGroups.load(ordering: .relaxed) - groupsBefore
        #expect(try db.describeTable("Hot").table.itemCount == 1280)
        // 1,280 writes from 64 concurrent writers must not need 1,280 commits.
        #expect(groups < 1280, "groups: \(groups)")
    }

    @Test func aFailingWriteDoesNotFailItsGroup() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Mixed", partitionKey: ("id", .s)))
        let handle = try db.handle("Mixed")
        let tableID = handle.definition.id
        let writer = db.shards[0].writer
        try await writer.perform { context in
            let db = try context.table(tableID).items
            try context.put(db, key: Array("pre".utf8), value: [9])
            try context.put(db, key: Array("gone".utf8), value: [7])
        }
        // Hold the writer so that the next writes queue up into one group.
        let gate = Task { try await writer.perform { _ in Thread.sleep(forTimeInterval: 0.2) } }
        try await Task.sleep(for: .milliseconds(50))
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<10 {
                group.addTask {
                    do {
                        try await writer.perform { context in
                            let db = try context.table(tableID).items
                            switch i {
                            case 3:
                                // Fails its check before writing.
                                throw ShoalError(.conditionalCheckFailed, "The conditional request failed")
                            case 6:
                                // Fails in LMDB after a first write: that write alone is undone.
                                try context.put(db, key: Array("partial".utf8), value: [1])
                                try context.put(db, key: [UInt8](repeating: 1, count: 600), value: [1])
                            case 8:
                                // Throws its own error after overwriting, deleting, inserting and
                                // counting: every change is undone.
                                try context.put(db, key: Array("pre".utf8), value: [1])
                                try context.delete(db, key: Array("gone".utf8))
                                try context.put(db, key: Array("halfway".utf8), value: [1])
                                context.addSize(1_000_000, table: tableID)
                                throw ShoalError.validation("changed its mind")
                            default:
                                try context.put(db, key: Array("k\(i)".utf8), value: [UInt8(i)])
                            }
                        }
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var results: [Int: Bool] = [:]
            for await (i, ok) in group { results[i] = ok }
            return results
        }
        try await gate.value
        for i in 0..<10 { #expect(results[i] == (i != 3 && i != 6 && i != 8), "write \(i)") }
        let stored = try db.shards[0].environment.read { txn in
            (try txn.get(handle.items(0), key: Array("partial".utf8)), try txn.get(handle.items(0), key: Array("halfway".utf8)),
             try txn.statistics(handle.items(0)).entries,
             try txn.get(handle.items(0), key: Array("pre".utf8)), try txn.get(handle.items(0), key: Array("gone".utf8)))
        }
        #expect(stored.0 == nil)
        #expect(stored.1 == nil)
        #expect(stored.2 == 9)
        #expect(stored.3 == [9])
        #expect(stored.4 == [7])
        #expect(try db.describeTable("Mixed").table.tableSizeBytes == 0)
    }

    @Test func writesAfterCloseFail() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Closed", partitionKey: ("id", .s)))
        db.close()
        await expectError(.internalServerError, "The database is closed") {
            try await db.table("Closed").put(["id": "x"])
        }
    }

    @Test func mapGrowsUnderTheEngine() async throws {
        let dir = TemporaryDirectory()
        var options = DatabaseOptions(shardCount: 1, durability: .noSync)
        options.initialMapSize = 1 << 20
        let db = try Database.open(at: dir.path, options: options)
        _ = try await db.createTable(CreateTableRequest(tableName: "Grow", partitionKey: ("id", .s)))
        let payload = String(repeating: "g", count: 50_000)
        for i in 0..<100 { try await db.table("Grow").put(["id": .s("g\(i)"), "d": .s(payload)]) }
        #expect(try db.describeTable("Grow").table.itemCount == 100)
        #expect(db.shards[0].environment.info().mapSize > 1 << 20)
    }
}
