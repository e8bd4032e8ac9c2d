import Foundation
import Testing
@testable import Shoal

/// The manual clock: TTL, stream retention, iterator expiry, record times, record age, tumbling
/// windows and retries' back-off follow it, and advancing it runs what came due before returning.
@Suite struct ClockTests {
    struct Failure: Error {}

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func open(_ dir: TemporaryDirectory, shards: Int = 1) throws -> Database {
        var options = DatabaseOptions(shardCount: shards, durability: .noSync)
        options.clock = ShoalClock(.manual, start: start)
        options.triggerRetryBase = .seconds(1)
        options.triggerRetryCap = .seconds(8)
        return try Database.open(at: dir.path, options: options)
    }

    static func records(_ db: Database, _ table: String) throws -> [StreamRecord] {
        let arn = try #require(try db.describeTable(table).table.latestStreamArn)
        var records: [StreamRecord] = []
        for shard in try db.describeStream(streamArn: arn).shards {
            let iterator = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)
            records += try db.getRecords(shardIterator: iterator, limit: 1000).records
        }
        return records
    }

    @Test func aManualClockStandsStillUntilMoved() async throws {
        let clock = ShoalClock(.manual, start: ClockTests.start)
        try await Task.sleep(for: .milliseconds(20))
        #expect(clock.now == ClockTests.start)
        try clock.advance(by: 90.5)
        #expect(clock.now == ClockTests.start.addingTimeInterval(90.5))
        try clock.set(ClockTests.start)
        #expect(clock.now == ClockTests.start)
        #expect(throws: ShoalError.self) { try clock.advance(by: -1) }
        #expect(throws: ShoalError.self) { try ShoalClock(.system).advance(by: 1) }
        // A sleeper wakes when the clock passes its deadline, not before.
        let woke = Task { try await clock.sleep(for: .seconds(10)); return clock.now }
        try await Task.sleep(for: .milliseconds(50))
        try clock.advance(by: 9)
        try await Task.sleep(for: .milliseconds(50))
        try clock.advance(by: 1)
        #expect(try await woke.value == ClockTests.start.addingTimeInterval(10))
    }

    @Test func timeToLiveExpiresExactlyWhenTheClockReachesIt() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir)
        defer { db.close() }
        var request = CreateTableRequest(tableName: "Sessions", partitionKey: ("id", .s))
        request.streamSpecification = .enabled(.newAndOldImages)
        _ = try await db.createTable(request)
        _ = try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        let epoch = Int(ClockTests.start.timeIntervalSince1970)
        try await db.table("Sessions").put(["id": "a", "expires": .n(Number(epoch + 3600))])
        try await db.table("Sessions").put(["id": "b", "expires": .n(Number(epoch + 7200))])
        // Records carry the clock's time.
        #expect(try ClockTests.records(db, "Sessions").map(\.approximateCreationDateTime) == [ClockTests.start, ClockTests.start])

        try await db.advanceClock(by: 3599)
        #expect(try await db.table("Sessions").get(["id": "a"]) != nil)
        try await db.advanceClock(by: 1)
        #expect(try await db.table("Sessions").get(["id": "a"]) == nil)
        #expect(try await db.table("Sessions").get(["id": "b"]) != nil)
        let removal = try #require(try ClockTests.records(db, "Sessions").last)
        #expect(removal.eventName == .remove && removal.keys["id"] == .s("a"))
        #expect(removal.approximateCreationDateTime == ClockTests.start.addingTimeInterval(3600))
        #expect(removal.userIdentity?.principalId == "dynamodb.amazonaws.com")
        try await db.setClock(ClockTests.start.addingTimeInterval(7200))
        #expect(try await db.table("Sessions").scan().isEmpty)
    }

    @Test func streamRetentionAndIteratorExpiryFollowTheClock() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir, shards: 2)
        defer { db.close() }
        var request = CreateTableRequest(tableName: "Log", partitionKey: ("id", .s))
        request.streamSpecification = .enabled(.keysOnly)
        _ = try await db.createTable(request)
        for i in 0..<3 { try await db.table("Log").put(["id": .s("k\(i)")]) }
        let arn = try #require(try db.describeTable("Log").table.latestStreamArn)
        let shard = try #require(try db.describeStream(streamArn: arn).shards.first)
        let iterator = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)
        // An iterator lives 15 minutes.
        try await db.advanceClock(by: 15 * 60)
        _ = try db.getRecords(shardIterator: iterator)
        try await db.advanceClock(by: 1)
        await expectError(.expiredIterator, "Iterator expired. The iterator was created at time 1800000000000 while right now it is 1800000901000 which is further in the future than the tolerated delay of 900000 milliseconds.") {
            _ = try db.getRecords(shardIterator: iterator)
        }
        // Records stay 24 hours after they were written, then go.
        #expect(try ClockTests.records(db, "Log").count == 3)
        try await db.setClock(ClockTests.start.addingTimeInterval(24 * 3600 - 1))
        #expect(try ClockTests.records(db, "Log").count == 3)
        try await db.advanceClock(by: 2)
        #expect(try ClockTests.records(db, "Log").isEmpty)
    }

    @Test func aTumblingWindowClosesWhenTheClockPassesItsEnd() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir)
        defer { db.close() }
        let log = BatchLog()
        db.registerFunction("f") { batch in
            log.append(batch)
            return TriggerResponse(state: "{\"n\":\(batch.records.count)}")
        }
        let arn = try await TriggerTests.streamTable(db, "Orders")
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(tumbling: 60))
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        try await db.table("Orders").put(["pk": "b", "sk": 2])
        #expect(try await eventually { log.count == 2 })
        #expect(log.all.allSatisfy { $0.window?.isFinalInvokeForWindow == false })
        let window = try #require(log.all.first?.window)
        #expect(window.start == ClockTests.start && window.end == ClockTests.start.addingTimeInterval(60))
        // Nothing closes the window while the clock stands still.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!log.all.contains { $0.window?.isFinalInvokeForWindow == true })
        try await db.advanceClock(by: 59)
        #expect(!log.all.contains { $0.window?.isFinalInvokeForWindow == true })
        try await db.advanceClock(by: 1)
        // Closed before advanceClock returned: the final invocation with the window's state.
        let final = try #require(log.all.last)
        #expect(final.window?.isFinalInvokeForWindow == true && final.records.isEmpty)
        #expect(final.window?.state.contains("\"n\"") == true)
    }

    @Test func backOffAndRecordAgeFollowTheClock() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir)
        defer { db.close() }
        let calls = BatchLog()
        db.registerFunction("f") { batch in
            calls.append(batch)
            throw Failure()
        }
        let arn = try await TriggerTests.streamTable(db, "Orders")
        let mapping = try await TriggerTests.mapping(db, arn, TriggerTests.params(maxAge: 60))
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        #expect(try await eventually { calls.all.count == 1 })
        // The retry waits one second of the clock's time: none passes by itself.
        try await Task.sleep(for: .milliseconds(300))
        #expect(calls.all.count == 1)
        try await db.advanceClock(by: 1)
        #expect(calls.all.count == 2)
        try await db.advanceClock(by: 2)
        #expect(calls.all.count == 3)
        // Older than MaximumRecordAgeInSeconds: given up, not retried.
        try await db.advanceClock(by: 60)
        let attempts = calls.all.count
        try await db.advanceClock(by: 3600)
        #expect(calls.all.count == attempts)
        #expect(try db.getEventSourceMapping(uuid: mapping.uuid).lastError?.contains("1 records discarded") == true)
    }

    @Test func aBatchingWindowWaitsForTheClock() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir)
        defer { db.close() }
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        let arn = try await TriggerTests.streamTable(db, "Orders")
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 100, window: 30))
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        try await db.table("Orders").put(["pk": "b", "sk": 2])
        // The batch is not full: it waits for 30 seconds of the clock, however long that takes.
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.count == 0)
        try await db.advanceClock(by: 29)
        #expect(log.count == 0)
        try await db.advanceClock(by: 1)
        #expect(log.all.map(\.records.count) == [2])
    }

    @Test func anIdempotencyTokenLastsTenMinutesOfTheClock() async throws {
        let dir = TemporaryDirectory()
        let db = try ClockTests.open(dir)
        defer { db.close() }
        _ = try await db.createTable(CreateTableRequest(tableName: "Counters", partitionKey: ("id", .s)))
        let bump = TransactWriteItemsRequest(actions: [.update(UpdateItemRequest(tableName: "Counters", key: ["id": "c"],
                                                                                  updateExpression: "ADD n :one",
                                                                                  expressionAttributeValues: [":one": 1]))],
                                             clientRequestToken: "same-token")
        _ = try await db.transactWriteItems(bump)
        try await db.advanceClock(by: 599)
        _ = try await db.transactWriteItems(bump)
        #expect(try await db.table("Counters").get(["id": "c"])?["n"] == .n(1))
        try await db.advanceClock(by: 1)
        _ = try await db.transactWriteItems(bump)
        #expect(try await db.table("Counters").get(["id": "c"])?["n"] == .n(2))
    }
}
