import Foundation
import Synchronization
import Testing
@testable import Shoal

/// Counts writes acknowledged by a background writer (file scope: Atomic in a test needs a class).
final class AcknowledgedWrites: Sendable {
    let count = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

@Suite struct BackupTests {
    /// A backup of 50 items, and a table "Dst" left as a crash right after it was created by a
    /// restore leaves it: in the catalog, restore in progress, no items. - Returns: the backup's ARN.
    static func plantInterruptedRestore(_ db: Database) async throws -> String {
        _ = try await db.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("id", .s)))
        for i in 0..<50 { try await db.table("Src").put(["id": .s("k\(i)")]) }
        let arn = try await db.createBackup(tableName: "Src", backupName: "b01").backupArn
        #expect(try await eventually { try db.describeBackup(arn: arn).backupDetails.backupStatus == .available })
        var definition = try db.validate(CreateTableRequest(tableName: "Dst", partitionKey: ("id", .s)))
        definition.restore = RestoreState(sourceBackupArn: arn, sourceTableArn: "arn:aws:dynamodb:us-east-1:000000000000:table/Src",
                                          restoredAt: 1, inProgress: true)
        _ = try await db.insertTable(definition)
        #expect(try db.describeTable("Dst").table.tableStatus == .creating)
        await expectError(.resourceNotFound, "Requested resource not found") { _ = try await db.table("Dst").get(["id": "k1"]) }
        await expectError(.backupInUse, "Backup is being restored to a table: \(arn)") { _ = try db.deleteBackup(arn: arn) }
        return arn
    }

    static func open(_ dir: TemporaryDirectory, shards: Int = 4) throws -> Database {
        try Database.open(at: dir.path, options: DatabaseOptions(shardCount: shards, durability: .noSync))
    }

    @Test func directoryBackupIsOneInstantUnderWrites() async throws {
        let dir = TemporaryDirectory()
        let db = try BackupTests.open(dir)
        _ = try await db.createTable(CreateTableRequest(tableName: "Log", partitionKey: ("id", .s)))
        let table = db.table("Log")
        for account in 0..<6 { try await table.put(["id": .s("acct\(account)"), "balance": 100]) }
        let progress = AcknowledgedWrites()
        // One writer whose writes follow each other, over every shard; one moving balances across shards.
        let sequential = Task {
            var n = 0
            while !progress.stop.load(ordering: .relaxed) {
                n += 1
                try await table.put(["id": .s("s\(n)"), "n": .n(Number(n))])
                progress.count.store(n, ordering: .relaxed)
            }
        }
        let transfers = Task {
            var round = 0
            while !progress.stop.load(ordering: .relaxed) {
                round += 1
                let (from, to) = (round % 6, (round * 5 + 1) % 6)
                guard from != to else { continue }
                _ = try? await db.transactWrite { tx in
                    tx.update(table, key: ["id": .s("acct\(from)")], .add("balance", -3))
                    tx.update(table, key: ["id": .s("acct\(to)")], .add("balance", 3))
                }
            }
        }
        while progress.count.load(ordering: .relaxed) < 200 { try await Task.sleep(for: .milliseconds(5)) }
        let backups = TemporaryDirectory()
        var paths: [String] = []
        for i in 0..<3 {
            let path = backups.path + "/b\(i)"
            let result = try await db.backUpDirectory(to: path)
            #expect(result.shardCount == 4 && result.bytes > 0)
            paths.append(path)
        }
        progress.stop.store(true, ordering: .relaxed)
        try await sequential.value
        await transfers.value
        db.close()
        for path in paths {
            let target = TemporaryDirectory()
            try await Database.restoreDirectory(from: path, to: target.path)
            let restored = try Database.open(at: target.path, options: DatabaseOptions(durability: .noSync))
            let items = try await restored.table("Log").scan()
            let numbers = items.compactMap { item -> Int? in
                if case .n(let n)? = item["n"] { return Int(n.description) }
                return nil
            }.sorted()
            #expect(!numbers.isEmpty)
            #expect(numbers == Array(1...numbers.count), "the sequential writes are not a prefix")
            let balances = items.compactMap { item -> Int? in
                if case .n(let n)? = item["balance"] { return Int(n.description) }
                return nil
            }
            #expect(balances.count == 6 && balances.reduce(0, +) == 600)
            restored.close()
        }
    }

    /// Directory backups taken at the same time each wait their turn at the transaction batcher
    /// and all finish (a second one once waited for a batch that never came, see BatchQueueTests).
    @Test func concurrentDirectoryBackupsAllFinish() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("id", .s)))
        for i in 0..<50 { try await db.table("Tbl").put(["id": .s("k\(i)")]) }
        let backups = TemporaryDirectory()
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<6 {
                group.addTask { try await db.backUpDirectory(to: backups.path + "/b\(i)").shardCount }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                throw ShoalError.internalError("the backups did not finish within 60 s")
            }
            var done = 0
            for try await shards in group {
                #expect(shards == 2)
                done += 1
                if done == 6 { group.cancelAll(); break }
            }
            return done
        }
        #expect(finished == 6)
        db.close()
    }

    @Test func tableBackupRestoresItemsAndIndexes() async throws {
        let dir = TemporaryDirectory()
        let db = try BackupTests.open(dir, shards: 3)
        defer { db.close() }
        var request = CreateTableRequest(tableName: "Things", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "colour", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byColour", partitionKey: "colour")]
        _ = try await db.createTable(request)
        let things = db.table("Things")
        for i in 0..<700 {
            try await things.put(["pk": .s("p\(i % 9)"), "sk": .n(Number(i)), "colour": .s(i % 3 == 0 ? "red" : "blue")])
        }
        let details = try await db.createBackup(tableName: "Things", backupName: "first")
        #expect(try await eventually { try db.describeBackup(arn: details.backupArn).backupDetails.backupStatus == .available })
        try await things.put(["pk": "after", "sk": 1])
        let description = try db.describeBackup(arn: details.backupArn)
        #expect(description.sourceTable.itemCount == 700)
        let restored = try await db.restoreTableFromBackup(RestoreTableFromBackupRequest(targetTableName: "Copy", backupArn: details.backupArn))
        #expect(restored.restoreSummary?.restoreInProgress == true)
        #expect(try await eventually { try db.describeTable("Copy").table.tableStatus == .active })
        #expect(try await db.table("Copy").scan().count == 700)
        var query = QueryRequest(tableName: "Copy", keyConditionExpression: "colour = :c", expressionAttributeValues: [":c": "red"])
        query.indexName = "byColour"
        #expect(try await db.query(query).items.count == 234)
        #expect(try await db.table("Copy").get(["pk": "after", "sk": 1]) == nil)
        await expectError(.tableAlreadyExists, "Table already exists: Copy") {
            _ = try await db.restoreTableFromBackup(RestoreTableFromBackupRequest(targetTableName: "Copy", backupArn: details.backupArn))
        }
        #expect(try db.deleteBackup(arn: details.backupArn).backupDetails.backupStatus == .deleted)
        await expectError(.backupNotFound, "Backup not found: \(details.backupArn)") { _ = try db.describeBackup(arn: details.backupArn) }
    }

    /// A restore cut short (the process died) runs again on open, and the table stays CREATING
    /// (data operations do not find it) until it is complete.
    @Test func interruptedRestoreResumesOnOpen() async throws {
        let dir = TemporaryDirectory()
        var first: Database? = try BackupTests.open(dir, shards: 2)
        _ = try await BackupTests.plantInterruptedRestore(first!)
        try await closeAndRelease(&first)
        let db = try BackupTests.open(dir, shards: 2)
        defer { db.close() }
        #expect(try await eventually { try db.describeTable("Dst").table.tableStatus == .active })
        #expect(try await db.table("Dst").scan().count == 50)
        #expect(try db.describeTable("Dst").table.restoreSummary?.restoreInProgress == false)
    }
}
