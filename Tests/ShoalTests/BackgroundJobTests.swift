import Foundation
import Logging
import Synchronization
import Testing
@testable import Shoal

/// Lines a test logger received (file scope: a log handler must be a value type).
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.lines.withLock { $0.append("\(event.level): \(event.message)") }
    }
}

/// Background work fails loudly: logged, listed in `backgroundFailures`, retried, and awaited by
/// `shutdown()`.
@Suite struct BackgroundJobTests {
    @Test func aRestoreThatFailsIsLoggedListedAndRetried() async throws {
        let dir = TemporaryDirectory()
        let captured = CapturedLog()
        var options = DatabaseOptions(shardCount: 2, durability: .noSync)
        options.logger = Logger(label: "test") { _ in CapturingLogHandler(log: captured) }
        let db = try Database.open(at: dir.path, options: options)
        _ = try await db.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("id", .s)))
        for i in 0..<20 { try await db.table("Src").put(["id": .s("k\(i)")]) }
        let arn = try await db.createBackup(tableName: "Src", backupName: "b01").backupArn
        #expect(try await eventually { try db.describeBackup(arn: arn).backupDetails.backupStatus == .available })
        // The backup's items file is damaged: its load cannot finish.
        let record = try #require(db.backups.record(arn))
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).write(to: URL(fileURLWithPath: db.backups.itemsPath(record.id)))
        _ = try await db.restoreTableFromBackup(RestoreTableFromBackupRequest(targetTableName: "Copy", backupArn: arn))
        #expect(try await eventually { db.backgroundFailures.count >= 2 })
        let failure = try #require(db.backgroundFailures.first)
        #expect(failure.job == "restore of table Copy")
        #expect(captured.lines.withLock { $0.contains { $0.hasPrefix("error: background job failed: restore of table Copy") } })
        #expect(db.backgroundJobsRunning == 1)
        // Shutdown cancels the retrying job and waits for it.
        let started = ContinuousClock.now
        await db.shutdown()
        #expect(db.backgroundJobsRunning == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func expectedEndsAreNotFailures() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        for i in 0..<500 { try await db.table("Tbl").put(["id": .s("k\(i)"), "g": .s("v\(i % 7)")]) }
        // A backfill whose table is deleted under it ends quietly.
        _ = try await db.updateTable(UpdateTableRequest(tableName: "Tbl", attributeDefinitions: [AttributeDefinition(attributeName: "g", attributeType: .s)],
                                                        globalSecondaryIndexUpdates: [.create(GlobalSecondaryIndex("byG", partitionKey: "g"))]))
        _ = try await db.deleteTable("Tbl")
        #expect(try await eventually { db.backgroundJobsRunning == 0 })
        #expect(db.backgroundFailures.isEmpty)
        await db.shutdown()
    }
}
