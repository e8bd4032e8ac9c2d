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
    static func host(_ path: String) throws -> DatabaseHost {
        let options = DatabaseOptions(shardCount: 4, durability: .noSync)
        let database = try Database.open(at: path, options: options)
        database.registerFunction("kept") { _ in .success }
        return DatabaseHost(database, path: path, durability: .noSync) { closed in
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
        request.streamSpecification = .enabled(.keysOnly)
        _ = try await host.use { db async throws(ShoalError) in try await db.createTable(request) }
        let state = WriterState()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var i = 0
                        while !state.stop.load(ordering: .relaxed) {
                            i += 1
                            let key = "w\(writer)-\(i)"
                            try await host.use { db in try await db.table("Writes").put(["pk": .s(key)]) }
                            state.acknowledged.withLock { $0.append(key) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let before = state.acknowledged.withLock { $0.count }
        let report = try await host.reshard(to: 6)
        #expect(report.from == 4 && report.to == 6 && report.items >= before)
        try await Task.sleep(for: .milliseconds(200))
        state.stop.store(true, ordering: .relaxed)
        try await writers.value
        let written = Set(state.acknowledged.withLock { $0 })
        #expect(written.count > before)
        let db = host.current
        defer { db.close() }
        #expect(db.shardCount == 6)
        #expect(db.functionNames == ["kept"])
        let stored = Set(try await db.table("Writes").scan().compactMap { item -> String? in
            if case .s(let key)? = item["pk"] { return key } else { return nil }
        })
        #expect(stored == written)
        // Refusals leave the database open and serving.
        await #expect(throws: ShoalError.self) { try await host.reshard(to: 6) }
        await #expect(throws: ShoalError.self) { try await host.reshard(to: 0) }
        try await host.use { db in try await db.table("Writes").put(["pk": "after"]) }
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
}
