import Foundation
import Synchronization
import Testing
@testable import Shoal
@testable import ShoalServer

/// Keys the writers had acknowledged, and whether they should stop.
private final class WriterState: Sendable {
    let acknowledged = Mutex<[String]>([])
    let stop = Atomic(false)
}

/// The server's online reshard: requests wait while it runs, and then go on against the new layout.
@Suite struct DatabaseHostTests {
    static func host(_ path: String, failAt: String? = nil) throws -> DatabaseHost {
        let options = DatabaseOptions(shardCount: 4, durability: .noSync)
        let database = try Database.open(at: path, options: options)
        database.registerFunction("kept") { _ in .success }
        return DatabaseHost(database, path: path, durability: .noSync, testReshardCrashAt: failAt) { closed in
            let reopened = try Database.open(at: path, options: options)
            reopened.adoptFunctions(from: closed)
            return reopened
        }
    }

    @Test func writersKeepWritingThroughAnOnlineReshardAndLoseNothing() async throws {
        let path = NSTemporaryDirectory() + "shoal-host-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        let host = try DatabaseHostTests.host(path)
        var request = CreateTableRequest(tableName: "Writes", partitionKey: ("pk", .s))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byG", partitionKey: "g")]
        request.streamSpecification = .enabled(.keysOnly)
        _ = try await host.use { db async throws(ShoalError) in try await db.createTable(request) }
        // Items for the copy to work on while the writers change some of them.
        let loaded: [Item] = (0..<4000).map { ["pk": .s("pre-\($0)"), "g": .s("g\($0 % 7)"), "v": .n(Number($0))] }
        #expect(try await host.use { db async throws(ShoalError) in try await db.bulkPut(tableName: "Writes", items: loaded) }.isEmpty)
        let state = WriterState()
        let writers = Task {
            try await withThrowingTaskGroup(of: [String: Int?].self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        // Each writer owns its keys (no two share one): puts, overwrites and deletes them, and remembers the last acknowledged state.
                        var model: [String: Int?] = [:]
                        var i = 0
                        while !state.stop.load(ordering: .relaxed) {
                            i += 1
                            let key = i % 5 == 0 ? "pre-\((i * 4 + writer) % 4000)" : "w\(writer)-\(i % 400)"
                            if i % 3 == 2 {
                                _ = try await host.use { db async throws(ShoalError) in try await db.table("Writes").delete(["pk": .s(key)]) }
                                model[key] = .some(nil)
                            } else {
                                try await host.use { db async throws(ShoalError) in try await db.table("Writes").put(["pk": .s(key), "g": .s("g\(i % 7)"), "v": .n(Number(i))]) }
                                model[key] = .some(i)
                            }
                            state.acknowledged.withLock { $0.append(key) }
                        }
                        return model
                    }
                }
                var merged: [String: Int?] = [:]
                for try await model in group { merged.merge(model) { a, _ in a } }
                return merged
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let before = state.acknowledged.withLock { $0.count }
        let report = try await host.reshard(to: 6)
        #expect(report.from == 4 && report.to == 6)
        // The moving items were copied while the writers were served; the pause copied only their changes.
        #expect(report.copiedWhileServing > 500 && report.paused != nil)
        try await Task.sleep(for: .milliseconds(200))
        state.stop.store(true, ordering: .relaxed)
        let model = try await writers.value
        #expect(state.acknowledged.withLock { $0.count } > before)
        let db = host.current
        defer { db.close() }
        #expect(db.shardCount == 6)
        #expect(db.functionNames == ["kept"])
        // The table is exactly the loaded items with the writers' last acknowledged changes on top.
        var expected: [String: Int] = [:]
        for i in 0..<4000 { expected["pre-\(i)"] = i }
        for (key, value) in model { expected[key] = value ?? nil }
        let stored = try await db.table("Writes").scan()
        var actual: [String: Int] = [:]
        for item in stored {
            if case .s(let key)? = item["pk"], case .n(let v)? = item["v"] { actual[key] = Int(v.description) }
        }
        #expect(actual.count == stored.count)
        let wrong = expected.keys.filter { actual[$0] != expected[$0] } + actual.keys.filter { expected[$0] == nil }
        #expect(wrong.isEmpty, "\(wrong.count) keys differ, such as \(wrong.prefix(5).map { "\($0): \(actual[$0].map(String.init) ?? "absent") vs \(expected[$0].map(String.init) ?? "absent")" })")
        // Each item is in the shard the new ring gives it, and the index agrees with the items.
        let statistics = try db.storageStatistics()
        #expect(statistics.reduce(0) { $0 + ($1.tables.first?.items ?? 0) } == expected.count)
        var indexed = 0
        for g in 0..<7 {
            var query = QueryRequest(tableName: "Writes", keyConditionExpression: "g = :g", expressionAttributeValues: [":g": .s("g\(g)")])
            query.indexName = "byG"
            var start: Item?
            repeat {
                query.exclusiveStartKey = start
                let page = try await db.query(query)
                indexed += page.items.count
                start = page.lastEvaluatedKey
            } while start != nil
        }
        #expect(indexed == expected.count)
        // Refusals leave the database open and serving.
        await #expect(throws: ShoalError.self) { try await host.reshard(to: 6) }
        await #expect(throws: ShoalError.self) { try await host.reshard(to: 0) }
        try await host.use { db async throws(ShoalError) in try await db.table("Writes").put(["pk": .s("after")]) }
    }

    @Test func aHostWithoutADirectoryCannotReshard() async throws {
        let path = NSTemporaryDirectory() + "shoal-host-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try Database.open(at: path, options: DatabaseOptions(shardCount: 2, durability: .noSync))
        defer { database.close() }
        let host = DatabaseHost(database)
        await #expect(throws: ShoalError.self) { try await host.reshard(to: 3) }
        #expect(try await host.use { db throws(ShoalError) in try db.listTables().tableNames } == [])
    }

    @Test func aReshardThatFailsIsUndoneBeforeItsCommitPointAndFinishedAfter() async throws {
        for (failAt, shardsAfter) in [("fail-copy:1", 4), ("fail-cleanup:1", 6)] {
            let path = NSTemporaryDirectory() + "shoal-host-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: path) }
            let host = try DatabaseHostTests.host(path, failAt: failAt)
            _ = try await host.use { db async throws(ShoalError) in
                try await db.createTable(CreateTableRequest(tableName: "Kept", partitionKey: ("pk", .s)))
            }
            let items: [Item] = (0..<2000).map { ["pk": .s("k\($0)")] }
            #expect(try await host.use { db async throws(ShoalError) in try await db.bulkPut(tableName: "Kept", items: items) }.isEmpty)
            await #expect(throws: ShoalError.self) { try await host.reshard(to: 6) }
            // The server goes on serving, with the old layout or the finished new one, and every item.
            let db = host.current
            defer { db.close() }
            #expect(db.shardCount == shardsAfter, "\(failAt)")
            #expect(try await db.table("Kept").scan().count == 2000)
            #expect(try db.storageStatistics().reduce(0) { $0 + ($1.tables.first?.items ?? 0) } == 2000)
            try await db.table("Kept").put(["pk": "after"])
        }
    }
}
