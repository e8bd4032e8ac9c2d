import Foundation
import Synchronization
import Testing
@testable import Shoal

/// What a test function saw: every batch, in call order.
final class BatchLog: Sendable {
    private let batches = Mutex<[TriggerBatch]>([])
    func append(_ batch: TriggerBatch) { batches.withLock { $0.append(batch) } }
    var all: [TriggerBatch] { batches.withLock { $0 } }
    /// Partition key strings of every record delivered, in delivery order.
    var keys: [String] { all.flatMap { $0.records.compactMap { if case .s(let s)? = $0.keys["pk"] { return s } else { return nil } } } }
    var count: Int { all.reduce(0) { $0 + $1.records.count } }
}

/// Polls until `condition` holds (at most `seconds`).
func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

@Suite struct TriggerTests {
    static func open(_ dir: TemporaryDirectory, shards: Int = 2) throws -> Database {
        var options = DatabaseOptions(shardCount: shards, durability: .noSync)
        options.triggerRetryBase = .milliseconds(5)
        options.triggerRetryCap = .milliseconds(40)
        return try Database.open(at: dir.path, options: options)
    }

    /// A fresh directory, its database, and the ARN of the stream of an `Orders` table.
    static func fixture(shards: Int) async throws -> (TemporaryDirectory, Database, String) {
        let dir = TemporaryDirectory()
        let db = try open(dir, shards: shards)
        return (dir, db, try await streamTable(db))
    }

    static func streamTable(_ db: Database, _ name: String = "Orders") async throws -> String {
        var request = CreateTableRequest(tableName: name, partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.streamSpecification = .enabled(.newAndOldImages)
        _ = try await db.createTable(request)
        let stream = try #require(try db.handle(name).definition.liveStream)
        return stream.arn(region: db.options.region)
    }

    static func mapping(_ db: Database, _ arn: String, function: String = "f", position: StartingPosition = .trimHorizon,
                        _ parameters: EventSourceMappingParameters = .init()) async throws -> EventSourceMappingConfiguration {
        try await db.createEventSourceMapping(CreateEventSourceMappingRequest(functionName: function, eventSourceArn: arn,
                                                                               startingPosition: position, parameters: parameters))
    }

    @Test func deliversEveryRecordInOrderPerShardAndCheckpoints() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        for i in 0..<30 { try await db.table("Orders").put(["pk": .s("k\(i % 5)"), "sk": .n(Number(i))]) }
        let created = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 4))
        #expect(created.state == .creating)
        #expect(created.batchSize == 4)
        #expect(try await eventually { log.count == 30 })
        // Per partition key, sort keys arrive increasing; every batch comes from one shard and has at most 4 records.
        var seen: [String: Int] = [:]
        for batch in log.all {
            #expect(batch.records.count <= 4)
            #expect(Set(batch.records.map { StreamRecordCodec.parse(sequenceNumber: $0.sequenceNumber)!.shard }).count == 1)
            #expect(batch.eventSourceArn == arn)
            for record in batch.records {
                guard case .s(let pk)? = record.keys["pk"], case .n(let sk)? = record.keys["sk"] else { continue }
                let value = Int(sk.description)!
                #expect(value > (seen[pk] ?? -1))
                seen[pk] = value
            }
        }
        #expect(try await eventually { try db.getEventSourceMapping(uuid: created.uuid).recordsBehind == 0 })
        let status = try db.getEventSourceMapping(uuid: created.uuid)
        #expect(status.lastProcessingResult == "OK")
        #expect(status.state == .enabled)
        #expect(status.shards.count == 3)
        db.close()
    }

    static func params(batchSize: Int? = nil, retries: Int? = nil, bisect: Bool? = nil, report: Bool = false,
                       parallel: Int? = nil, window: Int? = nil, tumbling: Int? = nil, filters: [String]? = nil,
                       onFailure: String? = nil, maxAge: Int? = nil) -> EventSourceMappingParameters {
        EventSourceMappingParameters(batchSize: batchSize, maximumBatchingWindowInSeconds: window, maximumRetryAttempts: retries,
                                     maximumRecordAgeInSeconds: maxAge, bisectBatchOnFunctionError: bisect,
                                     functionResponseTypes: report ? [.reportBatchItemFailures] : nil, parallelizationFactor: parallel,
                                     tumblingWindowInSeconds: tumbling, filterCriteria: filters.map { FilterCriteria(patterns: $0) },
                                     onFailureDestination: onFailure)
    }

    @Test func latestSkipsWhatCameBeforeAndRestartResumesFromTheCheckpoint() async throws {
        let dir = TemporaryDirectory()
        defer { withExtendedLifetime(dir) {} }
        let uuid: String
        do {
            let db = try TriggerTests.open(dir)
            let arn = try await TriggerTests.streamTable(db)
            let log = BatchLog()
            db.registerFunction("f") { batch in log.append(batch); return .success }
            try await db.table("Orders").put(["pk": "old", "sk": 1])
            uuid = try await TriggerTests.mapping(db, arn, position: .latest).uuid
            try await db.table("Orders").put(["pk": "new1", "sk": 1])
            #expect(try await eventually { log.keys == ["new1"] })
            // Delivered is not yet checkpointed: a stop before the checkpoint would deliver it again.
            #expect(try await eventually { try db.getEventSourceMapping(uuid: uuid).recordsBehind == 0 })
            await db.stopTriggers()
            db.close()
        }
        do {
            let db = try TriggerTests.open(dir)
            let log = BatchLog()
            try await db.table("Orders").put(["pk": "new2", "sk": 1])
            db.registerFunction("f") { batch in log.append(batch); return .success }
            #expect(try await eventually { log.keys == ["new2"] })
            #expect(try db.getEventSourceMapping(uuid: uuid).uuid == uuid)
            await db.stopTriggers()
            db.close()
        }
    }

    @Test func retriesThenSendsTheBatchToTheOnFailureTable() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Failures", partitionKey: ("id", .s)))
        let calls = Mutex<[Date]>([])
        db.registerFunction("f") { batch in
            calls.withLock { $0.append(Date()) }
            throw FunctionError("boom")
        }
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        let m = try await TriggerTests.mapping(db, arn, TriggerTests.params(retries: 2, onFailure: "arn:aws:dynamodb:us-east-1:000000000000:table/Failures"))
        #expect(try await eventually { try await db.scan(ScanRequest(tableName: "Failures")).items.count == 1 })
        #expect(calls.withLock { $0.count } == 3)
        // Backoff: each wait at least as long as the one before (5 ms, 10 ms).
        let times = calls.withLock { $0 }
        #expect(times[2].timeIntervalSince(times[1]) >= 0.009)
        #expect(times[1].timeIntervalSince(times[0]) >= 0.004)
        let item = try #require(try await db.scan(ScanRequest(tableName: "Failures")).items.first)
        guard case .m(let context)? = item["requestContext"], case .m(let info)? = item["DDBStreamBatchInfo"] else {
            Issue.record("no failure record members: \(item)"); return
        }
        #expect(context["condition"] == .s("RetryAttemptsExhausted"))
        #expect(context["approximateInvokeCount"] == .n(3))
        #expect(info["batchSize"] == .n(1))
        #expect(info["streamArn"] == .s(arn))
        #expect(try await eventually { try db.getEventSourceMapping(uuid: m.uuid).recordsBehind == 0 })
        #expect(try db.getEventSourceMapping(uuid: m.uuid).lastProcessingResult == "PROBLEM: Function call failed")
        db.close()
    }

    @Test func partialBatchFailureResumesAtTheLowestFailedRecord() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        let failedOnce = Mutex(false)
        db.registerFunction("f") { batch in
            log.append(batch)
            // The first call reports records 3 and 5 (of 0…5) as failed.
            let first = failedOnce.withLock { done in defer { done = true }; return !done }
            guard first else { return .success }
            return TriggerResponse(batchItemFailures: [batch.records[5].sequenceNumber, batch.records[3].sequenceNumber])
        }
        for i in 0..<6 { try await db.table("Orders").put(["pk": .s("p\(i)"), "sk": 1]) }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 10, report: true))
        #expect(try await eventually { log.all.count == 2 })
        #expect(log.all[0].records.count == 6)
        #expect(log.all[1].records.map(\.sequenceNumber) == Array(log.all[0].records[3...].map(\.sequenceNumber)))
        db.close()
    }

    @Test func malformedItemIdentifierFailsTheWholeBatch() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        db.registerFunction("f") { batch in
            log.append(batch)
            return log.all.count == 1 ? TriggerResponse(lambdaResponse: Data(#"{"batchItemFailures":[{"itemIdentifier":""}]}"#.utf8)) : .success
        }
        for i in 0..<3 { try await db.table("Orders").put(["pk": .s("p\(i)"), "sk": 1]) }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(report: true))
        #expect(try await eventually { log.all.count == 2 })
        #expect(log.all[1].records.count == 3)
        db.close()
    }

    @Test func bisectIsolatesTheBadRecord() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        let delivered = Mutex<[String]>([])
        db.registerFunction("f") { batch in
            log.append(batch)
            let keys = batch.records.compactMap { if case .s(let s)? = $0.keys["pk"] { return s } else { return nil } }
            if keys.contains("bad") { throw FunctionError("bad record") }
            delivered.withLock { $0 += keys }
            return .success
        }
        for key in ["a", "b", "bad", "c"] { try await db.table("Orders").put(["pk": .s(key), "sk": 1]) }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(retries: 0, bisect: true))
        #expect(try await eventually { delivered.withLock { $0 } == ["a", "b", "c"] })
        // [a b bad c] fails → [a b] ok, [bad c] fails → [bad] fails (no retries left: discarded), [c] ok.
        #expect(log.all.map(\.records.count) == [4, 2, 2, 1, 1])
        db.close()
    }

    @Test func recordsPastTheirAgeAreDiscardedWithoutUsingRetries() async throws {
        // MaximumRecordAgeInSeconds -1: a record is retried until it expires (the stream's retention).
        let dir = TemporaryDirectory()
        defer { withExtendedLifetime(dir) {} }
        var options = DatabaseOptions(shardCount: 1, durability: .noSync)
        options.triggerRetryBase = .milliseconds(20)
        options.triggerRetryCap = .milliseconds(100)
        options.streamRetention = .seconds(2)
        let db = try Database.open(at: dir.path, options: options)
        let arn = try await TriggerTests.streamTable(db)
        _ = try await db.createTable(CreateTableRequest(tableName: "Failures", partitionKey: ("id", .s)))
        let calls = Mutex(0)
        db.registerFunction("f") { _ in calls.withLock { $0 += 1 }; throw FunctionError("always") }
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(onFailure: "arn:aws:dynamodb:us-east-1:000000000000:table/Failures"))
        #expect(try await eventually { try await db.scan(ScanRequest(tableName: "Failures")).items.count == 1 })
        let item = try #require(try await db.scan(ScanRequest(tableName: "Failures")).items.first)
        guard case .m(let context)? = item["requestContext"] else { Issue.record("no requestContext"); return }
        // With MaximumRetryAttempts -1 only age gives a record up, after however many invocations
        // the machine's load allowed in those two seconds; the record counts them all.
        #expect(context["condition"] == .s("RecordAgeExceeded"))
        #expect(context["approximateInvokeCount"] == .n(Number(calls.withLock { $0 })))
        db.close()
    }

    @Test func filtersSkipRecordsAndCountThemProcessed() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        let m = try await TriggerTests.mapping(db, arn, TriggerTests.params(filters: [
            #"{"eventName": ["REMOVE"]}"#,
            #"{"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": [">", 10, "<=", 20]}]}, "tag": {"S": [{"prefix": "ab"}]}}}}"#,
        ]))
        let t = db.table("Orders")
        try await t.put(["pk": "a", "sk": 1, "qty": 15, "tag": "abc"])      // matches the second
        try await t.put(["pk": "b", "sk": 1, "qty": 25, "tag": "abc"])      // qty out of range
        try await t.put(["pk": "c", "sk": 1, "qty": 15, "tag": "xbc"])      // wrong prefix
        _ = try await db.deleteItem(DeleteItemRequest(tableName: "Orders", key: ["pk": "b", "sk": 1]))   // REMOVE
        #expect(try await eventually { try db.getEventSourceMapping(uuid: m.uuid).recordsBehind == 0 })
        #expect(Set(log.keys) == ["a", "b"])
        #expect(log.all.flatMap(\.records).map(\.eventName).sorted { $0.rawValue < $1.rawValue } == [.insert, .remove])
        db.close()
    }

    @Test func eventPatternsOfEveryOperator() throws {
        let record = StreamRecord(eventID: "e1", eventName: .modify, sequenceNumber: "000000000000000001024", approximateCreationDateTime: Date(),
                                  keys: ["pk": "user#1"], newImage: ["pk": "user#1", "n": 7, "s": "Hello", "flag": true, "list": .l([.s("x"), .s("y")])],
                                  oldImage: nil, sizeBytes: 10, streamViewType: .newImage)
        let value = EventFilter.render(record, eventSourceArn: "arn", region: "us-east-1")
        let cases: [(String, Bool)] = [
            (#"{"eventName": ["MODIFY"]}"#, true),
            (#"{"eventName": ["INSERT", "REMOVE"]}"#, false),
            (#"{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "user#"}]}}}}"#, true),
            (#"{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "admin#"}]}}}}"#, false),
            (#"{"dynamodb": {"NewImage": {"s": {"S": [{"suffix": "llo"}]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"s": {"S": [{"equals-ignore-case": "hello"}]}}}}"#, true),
            (#"{"eventName": [{"anything-but": "REMOVE"}]}"#, true),
            (#"{"eventName": [{"anything-but": ["MODIFY", "REMOVE"]}]}"#, false),
            (#"{"dynamodb": {"Keys": {"pk": {"S": [{"anything-but": {"prefix": "user"}}]}}}}"#, false),
            (#"{"dynamodb": {"NewImage": {"n": {"N": [{"numeric": ["=", 7]}]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"n": {"N": [{"numeric": ["<", 7]}]}}}}"#, false),
            (#"{"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">=", 7, "<", 8]}]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"n": {"N": ["7"]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"flag": {"BOOL": [true]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"missing": {"S": [{"exists": false}]}}}}"#, true),
            (#"{"dynamodb": {"NewImage": {"s": {"S": [{"exists": true}]}}}}"#, true),
            (#"{"dynamodb": {"OldImage": {"s": {"S": [{"exists": true}]}}}}"#, false),
            (#"{"dynamodb": {"NewImage": {"list": {"L": {"S": ["y"]}}}}}"#, true),
        ]
        for (pattern, expected) in cases {
            let parsed = try EventPattern(parsing: pattern)
            #expect(parsed.matches(value) == expected, "\(pattern)")
        }
        for invalid in ["[]", "{}", #"{"a": 1}"#, #"{"a": []}"#, #"{"a": [{"numeric": [">", "x"]}]}"#,
                        #"{"a": [{"nope": 1}]}"#, "not json", #"{"a": [{"numeric": ["<", 1, ">", 5]}]}"#] {
            #expect(throws: ShoalError.self, "\(invalid)") { _ = try EventPattern(parsing: invalid) }
        }
    }

    @Test func parallelizationKeepsOrderPerPartitionKey() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        let concurrent = Mutex((now: 0, peak: 0))
        db.registerFunction("f") { batch in
            concurrent.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(5))
            log.append(batch)
            concurrent.withLock { $0.now -= 1 }
            return .success
        }
        for i in 0..<200 { try await db.table("Orders").put(["pk": .s("k\(i % 16)"), "sk": .n(Number(i))]) }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 5, parallel: 4))
        #expect(try await eventually { log.count == 200 })
        var last: [String: Int] = [:]
        for batch in log.all {
            for record in batch.records {
                guard case .s(let pk)? = record.keys["pk"], case .n(let sk)? = record.keys["sk"] else { continue }
                let value = Int(sk.description)!
                #expect(value > (last[pk] ?? -1), "order of \(pk)")
                last[pk] = value
            }
        }
        #expect(concurrent.withLock { $0.peak } > 2)
        db.close()
    }

    @Test func batchingWindowGathersRecords() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        // A window far longer than the puts take, even on a loaded machine (at 1 s, CI once saw two batches).
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 100, window: 4))
        let clock = ContinuousClock()
        let started = clock.now
        for i in 0..<5 {
            try await db.table("Orders").put(["pk": .s("k\(i)"), "sk": 1])
            try await Task.sleep(for: .milliseconds(50))
        }
        let putting = clock.now - started
        #expect(try await eventually(15) { log.count == 5 })
        // One batch, unless putting the records took longer than the window (reported, then not asserted).
        if putting < .seconds(3) { #expect(log.all.count == 1) } else { print("puts took \(putting); window check skipped") }
        db.close()
    }

    @Test func tumblingWindowCarriesStateAndEndsWithAFinalInvocation() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        db.registerFunction("f") { batch in
            log.append(batch)
            let window = try #require(batch.window)
            let state = try JSONSerialization.jsonObject(with: Data(window.state.utf8)) as? [String: Int] ?? [:]
            let total = (state["count"] ?? 0) + batch.records.count
            return TriggerResponse(state: "{\"count\":\(total)}")
        }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 2, tumbling: 1))
        for i in 0..<3 { try await db.table("Orders").put(["pk": .s("k\(i)"), "sk": 1]) }
        #expect(try await eventually(8) { log.all.contains { $0.window?.isFinalInvokeForWindow == true } })
        let final = try #require(log.all.first { $0.window?.isFinalInvokeForWindow == true })
        #expect(final.records.isEmpty)
        // The records may straddle a window boundary: the counts of all final states add up to 3.
        #expect(try await eventually(8) {
            let finals = log.all.filter { $0.window?.isFinalInvokeForWindow == true }
            let counts = finals.compactMap { try? JSONSerialization.jsonObject(with: Data($0.window!.state.utf8)) as? [String: Int] }.compactMap { $0["count"] }
            return counts.reduce(0, +) == 3
        })
        db.close()
    }

    /// Lambda's 1 MB limit on a window's state: a state past it ends the window early (a final
    /// invocation with that state and isWindowTerminatedEarly), and the next batch starts afresh.
    @Test func aWindowStatePastOneMegabyteEndsTheWindowEarly() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let log = BatchLog()
        let big = String(repeating: "x", count: TumblingWindow.maxStateBytes)
        db.registerFunction("f") { batch in
            log.append(batch)
            let window = try #require(batch.window)
            if window.isFinalInvokeForWindow { return TriggerResponse(state: "{}") }
            // The first batch of a window returns an oversized state; later ones a small one.
            return TriggerResponse(state: window.state == "{}" ? "{\"pad\":\"\(big)\"}" : "{\"n\":1}")
        }
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 1, tumbling: 600))
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        #expect(try await eventually(8) { log.all.contains { $0.window?.isWindowTerminatedEarly == true } })
        let early = try #require(log.all.first { $0.window?.isWindowTerminatedEarly == true }?.window)
        #expect(early.isFinalInvokeForWindow)
        #expect(early.state.utf8.count > TumblingWindow.maxStateBytes)
        try await db.table("Orders").put(["pk": "b", "sk": 1])
        #expect(try await eventually(8) { log.all.filter { !$0.records.isEmpty }.count == 2 })
        let second = try #require(log.all.last { !$0.records.isEmpty }?.window)
        #expect(second.state == "{}")
        db.close()
    }

    @Test func validationAndErrors() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        db.registerFunction("f") { _ in .success }
        await expectError(.resourceNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope") {
            _ = try await TriggerTests.mapping(db, arn, function: "nope")
        }
        await expectError(.invalidParameterValue, "Stream not found: \(arn)x") { _ = try await TriggerTests.mapping(db, arn + "x") }
        await expectError(.validation, "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1") {
            _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 0))
        }
        await expectError(.validation, "1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10") {
            _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(parallel: 11))
        }
        await expectError(.invalidParameterValue, "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800 seconds.") {
            _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(maxAge: 30))
        }
        await expectError(.invalidParameterValue, "Invalid filter pattern definition.") {
            _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(filters: ["{"]))
        }
        await expectError(.invalidParameterValue, "The maximum number of filters per event source mapping is 5. Reduce the number of filters and try again.") {
            _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(filters: Array(repeating: #"{"eventName": ["INSERT"]}"#, count: 6)))
        }
        let m = try await TriggerTests.mapping(db, arn)
        await expectError(.resourceConflict, "The event source arn (\" \(arn) \") and function (\" f \") provided mapping already exists. Please update or delete the existing mapping with UUID \(m.uuid)") {
            _ = try await TriggerTests.mapping(db, arn)
        }
        let updated = try await db.updateEventSourceMapping(uuid: m.uuid, parameters: .init(batchSize: 7, enabled: false))
        #expect(updated.batchSize == 7)
        #expect(updated.state == .disabling)
        #expect(try db.getEventSourceMapping(uuid: m.uuid).state == .disabled)
        #expect(try await db.updateEventSourceMapping(uuid: m.uuid, parameters: .init(enabled: true)).state == .enabling)
        #expect(try await db.updateEventSourceMapping(uuid: m.uuid, parameters: .init(batchSize: 8)).state == .updating)
        #expect(try db.listEventSourceMappings(functionName: "f").eventSourceMappings.map(\.uuid) == [m.uuid])
        #expect(try db.listEventSourceMappings(functionName: "g").eventSourceMappings.isEmpty)
        let deleted = try await db.deleteEventSourceMapping(uuid: m.uuid)
        #expect(deleted.state == .deleting)
        await expectError(.resourceNotFound, "The resource you requested does not exist.") { _ = try db.getEventSourceMapping(uuid: m.uuid) }
        db.close()
    }

    @Test func aSlowClosureTimesOutAndAMissingFunctionUsesNoRetries() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Failures", partitionKey: ("id", .s)))
        db.registerFunction("f", timeout: .milliseconds(50)) { _ in
            try await Task.sleep(for: .seconds(5))
            return .success
        }
        let m = try await TriggerTests.mapping(db, arn, TriggerTests.params(retries: 0, onFailure: "arn:aws:dynamodb:us-east-1:000000000000:table/Failures"))
        try await db.table("Orders").put(["pk": "a", "sk": 1])
        #expect(try await eventually { try await db.scan(ScanRequest(tableName: "Failures")).items.count == 1 })
        #expect(try db.getEventSourceMapping(uuid: m.uuid).lastError?.contains("discarded") == true)
        // Without the function, records wait (no retry is used up), and go once it is back.
        db.unregisterFunction("f")
        try await db.table("Orders").put(["pk": "b", "sk": 1])
        #expect(try await eventually(2) { try db.getEventSourceMapping(uuid: m.uuid).lastError?.contains("Function not found") == true })
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        #expect(try await eventually { log.keys == ["b"] })
        #expect(try await db.scan(ScanRequest(tableName: "Failures")).items.count == 1)
        db.close()
    }

    @Test func lambdaResponsesAreReadAsLambdaReadsThem() {
        let cases: [(String, [String]?, String?, Bool)] = [
            ("", nil, nil, false),
            ("null", nil, nil, false),
            (#""ok""#, nil, nil, false),
            ("{}", nil, nil, false),
            (#"{"batchItemFailures": []}"#, [], nil, false),
            (#"{"batchItemFailures": null}"#, nil, nil, false),
            (#"{"batchItemFailures": [{"itemIdentifier": "123"}]}"#, ["123"], nil, false),
            (#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#, nil, nil, true),
            (#"{"batchItemFailures": [{"itemIdentifier": null}]}"#, nil, nil, true),
            (#"{"batchItemFailures": [{"id": "1"}]}"#, nil, nil, true),
            (#"{"batchItemFailures": "x"}"#, nil, nil, true),
            (#"{"state": {"a": 1}}"#, nil, #"{"a":1}"#, false),
            (#"{"state": 5}"#, nil, nil, true),
        ]
        for (body, failures, state, malformed) in cases {
            let response = TriggerResponse(lambdaResponse: Data(body.utf8))
            #expect(response.batchItemFailures == failures, "\(body)")
            #expect(response.state == state, "\(body)")
            #expect((response.malformed != nil) == malformed, "\(body)")
        }
    }

    @Test func aTableFollowingMappingWaitsForTheStreamAndMovesToTheNextOne() async throws {
        let dir = TemporaryDirectory()
        defer { withExtendedLifetime(dir) {} }
        var options = DatabaseOptions(shardCount: 2, durability: .noSync)
        options.triggerRetryBase = .milliseconds(5)
        let db = try Database.open(at: dir.path, options: options)
        db.triggerService.idlePoll.withLock { $0 = .milliseconds(20) }
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        let m = try await db.createEventSourceMapping(CreateEventSourceMappingRequest(functionName: "f", tableName: "Later", startingPosition: .trimHorizon))
        #expect(m.eventSourceArn == nil)
        let first = try await TriggerTests.streamTable(db, "Later")
        try await db.table("Later").put(["pk": "one", "sk": 1])
        #expect(try await eventually { log.keys == ["one"] })
        #expect(try db.getEventSourceMapping(uuid: m.uuid).eventSourceArn == first)
        _ = try await db.updateTable(UpdateTableRequest(tableName: "Later", streamSpecification: StreamSpecification(streamEnabled: false)))
        _ = try await db.updateTable(UpdateTableRequest(tableName: "Later", streamSpecification: .enabled(.newImage)))
        try await db.table("Later").put(["pk": "two", "sk": 1])
        #expect(try await eventually { log.keys == ["one", "two"] })
        let second = try #require(try db.describeTable("Later").table.latestStreamArn)
        #expect(second != first)
        #expect(try db.getEventSourceMapping(uuid: m.uuid).eventSourceArn == second)
        db.close()
    }

    @Test func aFailingFunctionHoldsUpOnlyItsOwnMappingAndAPausedOneResumes() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        let good = BatchLog()
        db.registerFunction("bad") { _ in throw FunctionError("never works") }
        db.registerFunction("good") { batch in good.append(batch); return .success }
        _ = try await TriggerTests.mapping(db, arn, function: "bad")
        let paused = try await TriggerTests.mapping(db, arn, function: "good", TriggerTests.params(batchSize: 10))
        _ = try await db.updateEventSourceMapping(uuid: paused.uuid, parameters: .init(enabled: false))
        for i in 0..<20 { try await db.table("Orders").put(["pk": .s("k\(i)"), "sk": 1]) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(good.count == 0)
        #expect(try db.getEventSourceMapping(uuid: paused.uuid).recordsBehind == 20)
        _ = try await db.updateEventSourceMapping(uuid: paused.uuid, parameters: .init(enabled: true))
        #expect(try await eventually { good.count == 20 })
        // Writers never wait for triggers: the failing mapping is still retrying its first batches.
        let failing = try db.listEventSourceMappings(functionName: "bad").eventSourceMappings[0]
        #expect(failing.recordsBehind > 0)
        #expect(failing.lastProcessingResult == "PROBLEM: Function call failed")
        #expect(failing.lastError == "never works")
        db.close()
    }

    @Test func concurrentUpdatesNeverRunTwoRunnersOnOneShard() async throws {
        let (dir, db, arn) = try await TriggerTests.fixture(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let inFlight = Mutex((now: 0, peak: 0))
        let log = BatchLog()
        db.registerFunction("f") { batch in
            inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try? await Task.sleep(for: .milliseconds(3))
            inFlight.withLock { $0.now -= 1 }
            log.append(batch)
            return .success
        }
        let m = try await TriggerTests.mapping(db, arn, TriggerTests.params(batchSize: 2))
        for i in 0..<60 { try await db.table("Orders").put(["pk": "p", "sk": .n(Number(i))]) }
        await withTaskGroup(of: Void.self) { group in
            for size in 1...8 {
                group.addTask { _ = try? await db.updateEventSourceMapping(uuid: m.uuid, parameters: .init(batchSize: size)) }
            }
        }
        #expect(try await eventually { Set(log.all.flatMap(\.records).map(\.sequenceNumber)).count == 60 })
        #expect(inFlight.withLock { $0.peak } == 1)
        db.close()
    }
}
