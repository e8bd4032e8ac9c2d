import Foundation
import Testing
@testable import Shoal

@Suite struct PointInTimeRecoveryTests {
    /// The table's items as a model: key → item.
    typealias Model = [String: Item]

    static func items(_ db: Shoal.Database, _ table: String) async throws -> Model {
        var model: Model = [:]
        for item in try await db.table(table).scan() {
            let dictionary = item.dictionary
            model[key(dictionary)] = dictionary
        }
        return model
    }

    static func key(_ item: Item) -> String { "\(item["pk"]!)|\(item["sk"].map { "\($0)" } ?? "")" }

    /// Waits until the clock has moved past the last write, so the next write's stamp is after it.
    static func instantAfterWrites() async throws -> Date {
        try await Task.sleep(for: .milliseconds(2))
        let now = Date()
        try await Task.sleep(for: .milliseconds(2))
        return now
    }

    static func logEntries(_ db: Shoal.Database, _ table: String) throws -> Int {
        guard let handle = db.lookup(table) else { return 0 }
        var count = 0
        for (index, storage) in handle.storages.enumerated() {
            guard let log = storage.recoveryLog else { continue }
            count += try db.shards[index].environment.read { txn in
                try txn.withCursor(log) { cursor in
                    var n = 0
                    var more = try cursor.first()
                    while more { n += 1; more = try cursor.next() }
                    return n
                }
            }
        }
        return count
    }

    /// Puts, updates and deletes (random, seeded) on a sharded table with a GSI and on one with
    /// no index (the put and delete fast paths); restoring each to instants noted along the way
    /// gives exactly the model of that instant, indexes included.
    @Test(arguments: [true, false]) func restoreMatchesTheModelAtEveryNotedInstant(withIndex: Bool) async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { db.close(); _ = dir }
        var request = CreateTableRequest(tableName: "Src", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        if withIndex {
            request.attributeDefinitions.append(AttributeDefinition(attributeName: "colour", attributeType: .s))
            request.globalSecondaryIndexes = [GlobalSecondaryIndex("byColour", partitionKey: "colour")]
        }
        _ = try await db.createTable(request)
        let source = db.table("Src")
        for i in 0..<20 { try await source.put(["pk": .s("before\(i % 4)"), "sk": .n(Number(i))]) }
        let description = try await db.updateContinuousBackups(tableName: "Src", enabled: true)
        #expect(description.pointInTimeRecoveryDescription.status == .enabled)
        #expect(description.pointInTimeRecoveryDescription.recoveryPeriodInDays == 35)
        var generator = SeededGenerator(seed: withIndex ? 7 : 11)
        var model = try await PointInTimeRecoveryTests.items(db, "Src")
        var noted: [(Date, Model)] = [(try await PointInTimeRecoveryTests.instantAfterWrites(), model)]
        for round in 0..<4 {
            for _ in 0..<60 {
                let pk = AttributeValue.s("p\(generator.next() % 6)")
                let sk = AttributeValue.n(Number(Int(generator.next() % 12)))
                let key: Item = ["pk": pk, "sk": sk]
                switch generator.next() % 3 {
                case 0:
                    let item: Item = ["pk": pk, "sk": sk, "colour": .s(["red", "blue", "green"][Int(generator.next() % 3)]),
                                      "round": .n(Number(round))]
                    try await source.put(item)
                    model[PointInTimeRecoveryTests.key(item)] = item
                case 1:
                    _ = try await source.delete(key)
                    model[PointInTimeRecoveryTests.key(key)] = nil
                default:
                    _ = try await source.update(key, .add("hits", 1))
                    var item = model[PointInTimeRecoveryTests.key(key)] ?? key
                    var hits = 1
                    if case .n(let n)? = item["hits"], let old = Int(n.description) { hits = old + 1 }
                    item["hits"] = .n(Number(hits))
                    model[PointInTimeRecoveryTests.key(key)] = item
                }
            }
            noted.append((try await PointInTimeRecoveryTests.instantAfterWrites(), model))
        }
        #expect(try await PointInTimeRecoveryTests.items(db, "Src") == model)
        for (number, (instant, expected)) in noted.enumerated() {
            let target = "Restored\(number)"
            let restored = try await db.restoreTableToPointInTime(
                RestoreTableToPointInTimeRequest(sourceTableName: "Src", targetTableName: target, restoreDateTime: instant))
            #expect(restored.restoreSummary?.sourceBackupArn == nil)
            #expect(restored.restoreSummary?.sourceTableArn == "arn:aws:dynamodb:us-east-1:000000000000:table/Src")
            #expect(abs(restored.restoreSummary!.restoreDateTime.timeIntervalSince(instant)) < 0.000_01)
            #expect(try await eventually { try db.describeTable(target).table.tableStatus == .active })
            #expect(try await PointInTimeRecoveryTests.items(db, target) == expected)
            #expect(try db.describeTable(target).table.itemCount == expected.count)
            if withIndex {
                let red = expected.values.filter { $0["colour"] == .s("red") }.count
                var query = QueryRequest(tableName: target, keyConditionExpression: "colour = :c", expressionAttributeValues: [":c": "red"])
                query.indexName = "byColour"
                #expect(try await db.query(query).items.count == red)
            }
            // Stream, time to live and point-in-time recovery are not restored.
            #expect(try db.describeContinuousBackups(tableName: target).pointInTimeRecoveryDescription.status == .disabled)
        }
        // The latest restorable time is now.
        _ = try await db.restoreTableToPointInTime(
            RestoreTableToPointInTimeRequest(sourceTableName: "Src", targetTableName: "Latest", useLatestRestorableTime: true))
        #expect(try await eventually { try db.describeTable("Latest").table.tableStatus == .active })
        #expect(try await PointInTimeRecoveryTests.items(db, "Latest") == model)
    }

    @Test func describeUpdateAndTheirErrors() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { db.close(); _ = dir }
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("pk", .s)))
        let off = try db.describeContinuousBackups(tableName: "Tbl")
        #expect(off.continuousBackupsStatus == "ENABLED")
        #expect(off.pointInTimeRecoveryDescription == PointInTimeRecoveryDescription(status: .disabled))
        await expectError(.tableNotFoundException, "Table not found: Nope") { _ = try db.describeContinuousBackups(tableName: "Nope") }
        await expectError(.tableNotFoundException, "Table not found: Nope") {
            _ = try await db.updateContinuousBackups(tableName: "Nope", enabled: true)
        }
        await expectError(.validation, "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35") {
            _ = try await db.updateContinuousBackups(tableName: "Tbl", enabled: true, recoveryPeriodInDays: 36)
        }
        await expectError(.validation, "1 validation error detected: Value '0' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 1") {
            _ = try await db.updateContinuousBackups(tableName: "Tbl", enabled: true, recoveryPeriodInDays: 0)
        }
        await expectError(.validation, "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true") {
            _ = try await db.updateContinuousBackups(tableName: "Tbl", enabled: false, recoveryPeriodInDays: 3)
        }
        await expectError(.pointInTimeRecoveryUnavailable, "Point in time recovery is not enabled for table 'Tbl'") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Tbl", targetTableName: "Usr", useLatestRestorableTime: true))
        }
        let before = Date()
        let on = try await db.updateContinuousBackups(tableName: "arn:aws:dynamodb:us-east-1:000000000000:table/Tbl", enabled: true, recoveryPeriodInDays: 7)
        let pitr = on.pointInTimeRecoveryDescription
        #expect(pitr.status == .enabled && pitr.recoveryPeriodInDays == 7)
        #expect(pitr.earliestRestorableDateTime! >= before && pitr.earliestRestorableDateTime! <= pitr.latestRestorableDateTime!)
        // Changing the period keeps the history.
        try await db.table("Tbl").put(["pk": "a"])
        let changed = try await db.updateContinuousBackups(tableName: "Tbl", enabled: true, recoveryPeriodInDays: 3)
        #expect(changed.pointInTimeRecoveryDescription.recoveryPeriodInDays == 3)
        #expect(changed.pointInTimeRecoveryDescription.earliestRestorableDateTime == pitr.earliestRestorableDateTime)
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 1)
        // Restore requests' own errors.
        // Outside the window: before it, and in the future (the message ends with the current time).
        for instant in [before.addingTimeInterval(-60), Date().addingTimeInterval(60)] {
            do {
                _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Tbl", targetTableName: "Usr", restoreDateTime: instant))
                Issue.record("restored to \(instant)")
            } catch {
                #expect(error.kind == .invalidRestoreTime)
                #expect(error.message.hasPrefix("Invalid RestoreDateTime \(Database.iso8601(instant)): it must be between EarliestRestorableDateTime \(Database.iso8601(pitr.earliestRestorableDateTime!)) and LatestRestorableDateTime "))
            }
        }
        #expect(db.lookup("Usr") == nil)
        await expectError(.validation, "Either SourceTableArn or SourceTableName must be provided") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(targetTableName: "Usr", useLatestRestorableTime: true))
        }
        await expectError(.validation, "Either RestoreDateTime or UseLatestRestorableTime must be specified") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Tbl", targetTableName: "Usr"))
        }
        await expectError(.validation, "Only one of RestoreDateTime or UseLatestRestorableTime may be specified") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Tbl", targetTableName: "Usr", restoreDateTime: Date(), useLatestRestorableTime: true))
        }
        await expectError(.tableNotFoundException, "Table not found: Nope") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Nope", targetTableName: "Usr", useLatestRestorableTime: true))
        }
        await expectError(.tableAlreadyExists, "Table already exists: Tbl") {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Tbl", targetTableName: "Tbl", useLatestRestorableTime: true))
        }
        // Switching off drops the history; on again, the window starts anew.
        #expect(try await db.updateContinuousBackups(tableName: "Tbl", enabled: false).pointInTimeRecoveryDescription.status == .disabled)
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 0)
        let again = try await db.updateContinuousBackups(tableName: "Tbl", enabled: true)
        #expect(again.pointInTimeRecoveryDescription.earliestRestorableDateTime! > pitr.earliestRestorableDateTime!)
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 0)
    }

    /// Enabled this very instant, the window is never empty: its latest end is not a rounding step
    /// before its earliest (a Date and its seconds since 1970 round differently).
    @Test func aWindowOpenedNowIsNeverEmpty() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<10_000 {
            let now = Date(timeIntervalSinceReferenceDate: Double(generator.next() % 1_000_000_000_000) / 1_000_000 + 700_000_000)
            let state = PointInTimeRecoveryState(logID: "x", since: now.timeIntervalSince1970, recoveryPeriodInDays: 35)
            let window = state.window(now: now)
            #expect(window.earliest <= window.latest)
        }
    }

    /// Retention deletes the entries older than the recovery period, and no others.
    @Test func retentionTrimsToTheRecoveryPeriod() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { db.close(); _ = dir }
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("pk", .s)))
        _ = try await db.updateContinuousBackups(tableName: "Tbl", enabled: true, recoveryPeriodInDays: 1)
        for i in 0..<600 { try await db.table("Tbl").put(["pk": .s("k\(i % 50)"), "n": .n(Number(i))]) }
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 600)
        await db.trimRecoveryLogs(now: Date())
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 600)
        await db.trimRecoveryLogs(now: Date().addingTimeInterval(86_400 + 60))
        #expect(try PointInTimeRecoveryTests.logEntries(db, "Tbl") == 0)
        #expect(try await db.table("Tbl").scan().count == 50)
    }

    /// A restore cut short by a crash (the table planted as a crash leaves it: restore in
    /// progress, no items, no items file) finishes on the next open, at its instant, even though
    /// the source changed meanwhile.
    @Test func interruptedRestoreResumesOnOpen() async throws {
        let dir = TemporaryDirectory()
        var first: Database? = try BackupTests.open(dir, shards: 2)
        _ = try await first!.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("pk", .s)))
        _ = try await first!.updateContinuousBackups(tableName: "Src", enabled: true)
        for i in 0..<40 { try await first!.table("Src").put(["pk": .s("k\(i)")]) }
        let instant = try await PointInTimeRecoveryTests.instantAfterWrites()
        for i in 0..<20 { _ = try await first!.table("Src").delete(["pk": .s("k\(i)")]) }
        var definition = try first!.validate(CreateTableRequest(tableName: "Dst", partitionKey: ("pk", .s)))
        definition.restore = RestoreState(sourceBackupArn: nil, sourceTableArn: "arn:aws:dynamodb:us-east-1:000000000000:table/Src",
                                          restoredAt: instant.timeIntervalSince1970, inProgress: true,
                                          sourceTableName: "Src", sourceTableID: first!.lookup("Src")!.definition.id)
        _ = try await first!.insertTable(definition)
        try await closeAndRelease(&first)
        let db = try BackupTests.open(dir, shards: 2)
        defer { db.close() }
        #expect(try await eventually { try db.describeTable("Dst").table.tableStatus == .active })
        #expect(try await db.table("Dst").scan().count == 40)
        #expect(try await db.table("Src").scan().count == 20)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/backups/restore-\(definition.id).items"))
    }

    /// A restore whose source is gone before its items were read fails visibly: the target is
    /// deleted and the failure listed, never left CREATING.
    @Test func restoreWhoseSourceIsGoneFailsVisibly() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { db.close(); _ = dir }
        _ = try await db.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("pk", .s)))
        _ = try await db.updateContinuousBackups(tableName: "Src", enabled: true)
        var definition = try db.validate(CreateTableRequest(tableName: "Dst", partitionKey: ("pk", .s)))
        definition.restore = RestoreState(sourceBackupArn: nil, sourceTableArn: "arn:aws:dynamodb:us-east-1:000000000000:table/Src",
                                          restoredAt: Date().timeIntervalSince1970, inProgress: true,
                                          sourceTableName: "Src", sourceTableID: "some-other-table")
        _ = try await db.insertTable(definition)
        db.startRestore(tableName: "Dst", tableID: definition.id, from: .pointInTime)
        #expect(try await eventually { db.lookup("Dst") == nil })
        #expect(db.backgroundFailures.contains { $0.job == "restore of table Dst" })
    }

    /// A reshard moves items between shards and leaves their history behind: the window restarts
    /// at the reshard, and a restore from then on is exact.
    @Test func reshardRestartsTheWindow() async throws {
        let dir = TemporaryDirectory()
        var first: Database? = try BackupTests.open(dir, shards: 2)
        _ = try await first!.createTable(CreateTableRequest(tableName: "Src", partitionKey: ("pk", .s)))
        _ = try await first!.updateContinuousBackups(tableName: "Src", enabled: true)
        for i in 0..<100 { try await first!.table("Src").put(["pk": .s("k\(i)")]) }
        let enabledAt = try first!.describeContinuousBackups(tableName: "Src").pointInTimeRecoveryDescription.earliestRestorableDateTime!
        try await closeAndRelease(&first)
        let reshardedAt = Date()
        _ = try await Reshard.run(at: dir.path, shardCount: 3, durability: .noSync)
        let db = try BackupTests.open(dir, shards: 3)
        defer { db.close() }
        let earliest = try db.describeContinuousBackups(tableName: "Src").pointInTimeRecoveryDescription.earliestRestorableDateTime!
        #expect(earliest > enabledAt && earliest >= reshardedAt)
        let instant = try await PointInTimeRecoveryTests.instantAfterWrites()
        for i in 0..<50 { _ = try await db.table("Src").delete(["pk": .s("k\(i)")]) }
        _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Src", targetTableName: "Dst", restoreDateTime: instant))
        #expect(try await eventually { try db.describeTable("Dst").table.tableStatus == .active })
        #expect(try await db.table("Dst").scan().count == 100)
    }
}
