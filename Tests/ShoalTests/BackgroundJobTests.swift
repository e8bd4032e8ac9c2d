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
    @Test func aRestoreFromADamagedBackupIsGivenUpAndItsTableDeleted() async throws {
        let dir = TemporaryDirectory()
        let captured = CapturedLog()
        var options = DatabaseOptions(shardCount: 2, durability: .noSync)
        options.logger = Logger(label: "test") { _ in CapturingLogHandler(log: captured) }
        let db = try Database.open(at: dir.path, options: options)
        _ = try await db.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("id", .s)))
        for i in 0..<20 { try await db.table("Src").put(["id": .s("k\(i)")]) }
        let arn = try await db.createBackup(tableName: "Src", backupName: "b01").backupArn
        #expect(try await eventually { try db.describeBackup(arn: arn).backupDetails.backupStatus == .available })
        // The backup's items file is damaged: its load can never finish.
        let record = try #require(db.backups.record(arn))
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).write(to: URL(fileURLWithPath: db.backups.itemsPath(record.id)))
        let restored = try await db.restoreTableFromBackup(RestoreTableFromBackupRequest(targetTableName: "Copy", backupArn: arn))
        #expect(restored.tableStatus == .creating)
        // Not CREATING forever: the table is deleted and the failure is logged and listed.
        #expect(try await eventually { db.backgroundJobsRunning == 0 })
        await expectError(.resourceNotFound, "Requested resource not found: Table: Copy not found") { _ = try db.describeTable("Copy") }
        let failures = db.backgroundFailures
        #expect(failures.map(\.job) == ["restore of table Copy", "restore of table Copy"])
        #expect(failures.last?.message.contains("could not finish") == true && failures.last?.message.contains("the table was deleted") == true)
        #expect(captured.lines.withLock { $0.contains { $0.hasPrefix("error: background job failed: restore of table Copy") } })
        // The source table and its backup are untouched; the name can be used again.
        #expect(try await db.table("Src").scan().count == 20)
        _ = try await db.createTable(CreateTableRequest(tableName: "Copy", partitionKey: ("id", .s)))
        await db.shutdown()
    }

    /// A retrying job that keeps failing: retried after a growing pause, given up after its
    /// attempts (its give-up step runs once), and a shutdown awaits a job that is still retrying.
    @Test func aRetryingJobGivesUpAfterItsAttempts() async throws {
        let jobs = BackgroundJobs(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, firstPause: .milliseconds(5))
        let runs = Mutex(0)
        let gaveUp = Mutex<[String]>([])
        jobs.start("flaky", retrying: true, maxAttempts: 3, onGiveUp: { error in gaveUp.withLock { $0.append("\(error)") } }) {
            runs.withLock { $0 += 1 }
            throw ShoalError.internalError("disk on fire")
        }
        #expect(try await eventually { jobs.running == 0 })
        #expect(runs.withLock { $0 } == 3)
        #expect(gaveUp.withLock { $0 }.count == 1)
        #expect(jobs.failures.count == 3)

        let forever = Mutex(0)
        jobs.start("forever", retrying: true) {
            forever.withLock { $0 += 1 }
            throw ShoalError.internalError("still on fire")
        }
        #expect(try await eventually { forever.withLock { $0 } >= 2 })
        for task in jobs.cancelAll() { await task.value }
        #expect(jobs.running == 0)
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
