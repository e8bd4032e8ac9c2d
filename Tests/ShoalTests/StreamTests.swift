import Foundation
import Testing
@testable import Shoal

@Suite struct StreamTests {
    static func request(_ name: String, _ viewType: StreamViewType) -> CreateTableRequest {
        var request = CreateTableRequest(tableName: name, partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.streamSpecification = .enabled(viewType)
        return request
    }

    /// Every record of the table's latest stream, shard by shard, in stream order.
    static func records(_ db: Database, _ table: String) throws -> [[StreamRecord]] {
        try records(db, stream: try #require(try db.handle(table).definition.stream).id)
    }

    /// Every record of a stream, shard by shard, in stream order.
    static func records(_ db: Database, stream id: String) throws -> [[StreamRecord]] {
        let stream = try #require(db.streamHandle(id))
        return try stream.currentShards.map { shard in
            var all: [StreamRecord] = []
            var after: UInt64?   // from the trim horizon, read in the same snapshot as the first page
            while true {
                let page = try db.readStream(stream, shard: shard, after: after, limit: 7)
                all += page.records
                guard let last = page.last else { return all }
                after = last
            }
        }
    }

    @Test func everyChangingWriteAppendsOneRecordAndNoOtherWriteDoes() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(StreamTests.request("Str", .newAndOldImages))
        let t = db.table("Str")
        try await t.put(["pk": "a", "sk": 1, "v": 1])                      // INSERT
        try await t.put(["pk": "a", "sk": 1, "v": 1])                      // same item: nothing
        try await t.put(["pk": "a", "sk": 1, "v": 2])                      // MODIFY
        _ = try await db.updateItem(UpdateItemRequest(tableName: "Str", key: ["pk": "a", "sk": 1], updateExpression: "SET v = :v",
                                                      expressionAttributeValues: [":v": 2]))   // sets what is there: nothing
        _ = try await db.updateItem(UpdateItemRequest(tableName: "Str", key: ["pk": "a", "sk": 1], updateExpression: "SET w = :w",
                                                      expressionAttributeValues: [":w": "x"])) // MODIFY
        await #expect(throws: ShoalError.self) {
            _ = try await db.putItem(PutItemRequest(tableName: "Str", item: ["pk": "a", "sk": 1, "v": 9], conditionExpression: "attribute_not_exists(pk)"))
        }
        _ = try await db.deleteItem(DeleteItemRequest(tableName: "Str", key: ["pk": "zz", "sk": 1]))   // missing: nothing
        _ = try await db.deleteItem(DeleteItemRequest(tableName: "Str", key: ["pk": "a", "sk": 1]))    // REMOVE
        _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Str": (0..<10).map { .put(["pk": .s("b\($0)"), "sk": 1]) }]))

        let shards = try StreamTests.records(db, "Str")
        let all = shards.flatMap { $0 }
        #expect(all.count == 4 + 10)
        let a = all.filter { $0.keys == ["pk": "a", "sk": 1] }
        #expect(a.map(\.eventName) == [.insert, .modify, .modify, .remove])
        #expect(a[0].newImage == ["pk": "a", "sk": 1, "v": 1] && a[0].oldImage == nil)
        #expect(a[1].oldImage == ["pk": "a", "sk": 1, "v": 1] && a[1].newImage == ["pk": "a", "sk": 1, "v": 2])
        #expect(a[2].newImage?["w"] == "x")
        #expect(a[3].oldImage == ["pk": "a", "sk": 1, "v": 2, "w": "x"] && a[3].newImage == nil)
        #expect(a.allSatisfy { $0.streamViewType == .newAndOldImages })
        // Within a shard, sequence numbers increase; every record's is its own.
        for records in shards {
            let numbers = records.map { StreamRecordCodec.parse(sequenceNumber: $0.sequenceNumber)!.counter }
            #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
        }
        #expect(Set(all.map(\.sequenceNumber)).count == all.count)
        #expect(Set(all.map(\.eventID)).count == all.count)
        #expect(a[1].sizeBytes == ItemValidation.size(of: a[1].keys) + ItemValidation.size(of: a[1].newImage!) + ItemValidation.size(of: a[1].oldImage!))
    }

    @Test(arguments: StreamViewType.allCases)
    func viewTypesKeepTheirImages(_ viewType: StreamViewType) async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(StreamTests.request("Vue", viewType))
        try await db.table("Vue").put(["pk": "a", "sk": 1, "v": 1])
        try await db.table("Vue").put(["pk": "a", "sk": 1, "v": 2])
        let records = try StreamTests.records(db, "Vue").flatMap { $0 }
        #expect(records.count == 2)
        let modify = records[1]
        #expect(modify.keys == ["pk": "a", "sk": 1])
        #expect((modify.newImage != nil) == (viewType == .newImage || viewType == .newAndOldImages))
        #expect((modify.oldImage != nil) == (viewType == .oldImage || viewType == .newAndOldImages))
    }

    @Test func recordsSurviveReopenAndCountersKeepIncreasing() async throws {
        let dir = TemporaryDirectory()
        var before: [String] = []
        do {
            let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 1, durability: .noSync))
            _ = try await db.createTable(StreamTests.request("Dur", .keysOnly))
            for i in 0..<5 { try await db.table("Dur").put(["pk": .s("k\(i)"), "sk": 1]) }
            before = try StreamTests.records(db, "Dur")[0].map(\.sequenceNumber)
            db.close()
        }
        let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 1, durability: .noSync))
        #expect(try StreamTests.records(db, "Dur")[0].map(\.sequenceNumber) == before)
        try await db.table("Dur").put(["pk": "new", "sk": 1])
        let after = try StreamTests.records(db, "Dur")[0]
        #expect(after.count == 6)
        #expect(StreamRecordCodec.parse(sequenceNumber: after[5].sequenceNumber)!.counter
                > StreamRecordCodec.parse(sequenceNumber: before[4])!.counter)
        db.close()
    }

    @Test func describeAndValidation() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        let created = try await db.createTable(StreamTests.request("Dsc", .newImage)).tableDescription
        #expect(created.streamSpecification == .enabled(.newImage))
        let label = try #require(created.latestStreamLabel)
        #expect(created.latestStreamArn == "arn:aws:dynamodb:us-east-1:000000000000:table/Dsc/stream/\(label)")
        #expect(label.count == 23 && label.contains("T"))
        #expect(try db.describeTable("Dsc").table.latestStreamArn == created.latestStreamArn)
        var plain = CreateTableRequest(tableName: "Pln", partitionKey: ("pk", .s))
        #expect(try await db.createTable(plain).tableDescription.latestStreamArn == nil)
        plain.tableName = "Bad"
        plain.streamSpecification = StreamSpecification(streamEnabled: true)
        await expectError(.validation, "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required") { _ = try await db.createTable(plain) }
        plain.streamSpecification = StreamSpecification(streamEnabled: false, streamViewType: .keysOnly)
        await expectError(.validation, "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified") { _ = try await db.createTable(plain) }
    }

    /// Disabling ends the stream (its records stay readable); enabling makes a new one with a new
    /// label and ARN; DeleteTable ends the stream too; all of it survives a reopen.
    @Test func disableReenableAndDeleteKeepEndedStreamsReadable() async throws {
        let dir = TemporaryDirectory()
        let options = DatabaseOptions(shardCount: 2, durability: .noSync)
        var first = "", second = ""
        do {
            let db = try Database.open(at: dir.path, options: options)
            _ = try await db.createTable(StreamTests.request("Lfc", .keysOnly))
            first = try db.handle("Lfc").definition.stream!.id
            let firstArn = try db.describeTable("Lfc").table.latestStreamArn
            try await db.table("Lfc").put(["pk": "a", "sk": 1])
            await expectError(.validation, "Table already has an enabled stream: TableName: Lfc") {
                _ = try await db.updateTable(UpdateTableRequest(tableName: "Lfc", streamSpecification: .enabled(.newImage)))
            }
            let disabled = try await db.updateTable(UpdateTableRequest(tableName: "Lfc", streamSpecification: StreamSpecification(streamEnabled: false)))
            #expect(disabled.streamSpecification == StreamSpecification(streamEnabled: false))
            #expect(disabled.latestStreamArn == firstArn)
            await expectError(.validation, "Table has no stream to disable: TableName: Lfc") {
                _ = try await db.updateTable(UpdateTableRequest(tableName: "Lfc", streamSpecification: StreamSpecification(streamEnabled: false)))
            }
            try await db.table("Lfc").put(["pk": "b", "sk": 1])              // no stream: no record anywhere
            try await Task.sleep(for: .milliseconds(2))                       // a new label
            let enabled = try await db.updateTable(UpdateTableRequest(tableName: "Lfc", streamSpecification: .enabled(.newImage)))
            #expect(enabled.streamSpecification == .enabled(.newImage))
            #expect(enabled.latestStreamArn != firstArn)
            second = try db.handle("Lfc").definition.stream!.id
            try await db.table("Lfc").put(["pk": "c", "sk": 1])
            #expect(try StreamTests.records(db, stream: first).flatMap { $0 }.map { $0.keys["pk"] } == ["a"])
            #expect(try StreamTests.records(db, stream: second).flatMap { $0 }.map { $0.keys["pk"] } == ["c"])
            _ = try await db.deleteTable("Lfc")
            #expect(try StreamTests.records(db, stream: second).flatMap { $0 }.count == 1)
            db.close()
        }
        let db = try Database.open(at: dir.path, options: options)
        #expect(try StreamTests.records(db, stream: first).flatMap { $0 }.map { $0.keys["pk"] } == ["a"])
        let records = try StreamTests.records(db, stream: second).flatMap { $0 }
        #expect(records.map { $0.newImage } == [["pk": "c", "sk": 1]])
        #expect(db.streamHandle(second)?.definition.endedAt != nil)
        db.close()
    }

    /// ListStreams, DescribeStream, GetShardIterator and GetRecords as DynamoDB Streams has them.
    @Test func streamsAPI() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(StreamTests.request("Api", .newAndOldImages))
        _ = try await db.createTable(StreamTests.request("Oth", .keysOnly))
        for i in 0..<60 { try await db.table("Api").put(["pk": .s("k\(i % 20)"), "sk": .n(Number(i))]) }
        let arn = try #require(try db.describeTable("Api").table.latestStreamArn)

        let listed = try db.listStreams()
        #expect(listed.streams.map(\.tableName) == ["Api", "Oth"] && listed.lastEvaluatedStreamArn == nil)
        let firstPage = try db.listStreams(limit: 1)
        #expect(firstPage.streams.map(\.streamArn) == [arn] && firstPage.lastEvaluatedStreamArn == arn)
        #expect(try db.listStreams(limit: 1, exclusiveStartStreamArn: arn).streams.map(\.tableName) == ["Oth"])
        #expect(try db.listStreams(tableName: "Oth").streams.count == 1)

        let description = try db.describeStream(streamArn: arn)
        #expect(description.streamStatus == .enabled && description.streamViewType == .newAndOldImages)
        #expect(description.shards.count == 3 && description.shards.allSatisfy { $0.endingSequenceNumber == nil && $0.parentShardId == nil })
        #expect(description.keySchema == [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)])
        let paged = try db.describeStream(streamArn: arn, limit: 2)
        #expect(paged.shards.count == 2 && paged.lastEvaluatedShardId == paged.shards[1].shardId)
        #expect(try db.describeStream(streamArn: arn, exclusiveStartShardId: paged.lastEvaluatedShardId).shards.count == 1)

        // Every shard read from TRIM_HORIZON in pages of 7: all 60 records, each shard in order.
        var all: [StreamRecord] = []
        for shard in description.shards {
            var iterator: String? = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)
            var read: [StreamRecord] = []
            while let current = iterator {
                let page = try db.getRecords(shardIterator: current, limit: 7)
                read += page.records
                iterator = page.records.isEmpty ? nil : page.nextShardIterator
            }
            let counters = read.map { StreamRecordCodec.parse(sequenceNumber: $0.sequenceNumber)!.counter }
            #expect(counters == counters.sorted())
            #expect(read.first.map { $0.sequenceNumber == shard.startingSequenceNumber } ?? true)
            all += read
        }
        #expect(all.count == 60)
        #expect(all.filter { $0.eventName == .insert }.count == 60)

        // AT and AFTER a sequence number; LATEST sees only what comes next.
        let shard = description.shards[0]
        let records = try db.getRecords(shardIterator: try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)).records
        try #require(records.count >= 2)
        let at = try db.getRecords(shardIterator: try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .atSequenceNumber,
                                                                          sequenceNumber: records[1].sequenceNumber)).records
        #expect(at.first?.sequenceNumber == records[1].sequenceNumber)
        let after = try db.getRecords(shardIterator: try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .afterSequenceNumber,
                                                                             sequenceNumber: records[1].sequenceNumber)).records
        #expect(after.first?.sequenceNumber == records.dropFirst(2).first?.sequenceNumber)
        let latest = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .latest)
        let empty = try db.getRecords(shardIterator: latest)
        #expect(empty.records.isEmpty && empty.nextShardIterator != nil)

        // Errors.
        await expectError(.validation, "Sequence number must be specified for shard iterator type AT_SEQUENCE_NUMBER") {
            _ = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .atSequenceNumber)
        }
        await expectError(.resourceNotFound, "Requested resource not found: Shard does not exist") {
            _ = try db.getShardIterator(streamArn: arn, shardId: "shardId-00000000000000000000-0000ffff", type: .latest)
        }
        await expectError(.validation, "1 validation error detected: Value 'shardId-nope' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal to 28") {
            _ = try db.getShardIterator(streamArn: arn, shardId: "shardId-nope", type: .latest)
        }
        await expectError(.validation, "1 validation error detected: Value 'arn:aws:dynamodb:us-east-1:000000000000:table/Api' at 'streamArn' failed to satisfy constraint: Member must be a DynamoDB stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL)") {
            _ = try db.describeStream(streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/Api")
        }
        // A start shard that names no shard is not an error.
        #expect(try db.describeStream(streamArn: arn, exclusiveStartShardId: "shardId-00000000000000000000-0000ffff").shards.map(\.shardId)
                == db.describeStream(streamArn: arn).shards.map(\.shardId))
        await expectError(.resourceNotFound, "Requested resource not found: Stream: \(arn)x not found") {
            _ = try db.describeStream(streamArn: arn + "x")
        }
        await expectError(.validation, "Invalid ShardIterator") { _ = try db.getRecords(shardIterator: "garbage") }
        let stale = ShardIterator(streamID: try db.handle("Api").definition.stream!.id, shard: 0, after: 0,
                                  issuedMillis: db.clock.epochMillis - ShardIterator.lifetimeMillis - 1000).sealed(by: db.tokens)
        #expect(throws: ShoalError.self) { _ = try db.getRecords(shardIterator: stale) }
        do {
            _ = try db.getRecords(shardIterator: stale)
        } catch {
            #expect(error.kind == .expiredIterator)
        }
        #expect(throws: ShoalError.self) { _ = try db.getRecords(shardIterator: latest, limit: 1001) }

        // A disabled stream's shards close: their last page has no next iterator.
        _ = try await db.updateTable(UpdateTableRequest(tableName: "Api", streamSpecification: StreamSpecification(streamEnabled: false)))
        let closed = try db.describeStream(streamArn: arn)
        #expect(closed.streamStatus == .disabled && closed.shards.allSatisfy { $0.endingSequenceNumber != nil })
        var iterator: String? = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)
        var pages = 0
        while let current = iterator, pages < 100 {
            iterator = try db.getRecords(shardIterator: current, limit: 1000).nextShardIterator
            pages += 1
        }
        #expect(iterator == nil && pages == 1)
    }

    /// Records older than the retention period are trimmed in the background; reading them is a
    /// TrimmedDataAccessException; an ended stream goes away once its retention is over.
    @Test func retentionTrimsRecordsAndEndedStreams() async throws {
        let dir = TemporaryDirectory()
        var options = DatabaseOptions(shardCount: 1, durability: .noSync)
        options.streamRetention = .seconds(1)
        let db = try Database.open(at: dir.path, options: options)
        defer { db.close() }
        _ = try await db.createTable(StreamTests.request("Ret", .keysOnly))
        _ = try await db.createTable(StreamTests.request("Gone", .keysOnly))
        let arn = try #require(try db.describeTable("Ret").table.latestStreamArn)
        let goneArn = try #require(try db.describeTable("Gone").table.latestStreamArn)
        for i in 0..<100 { try await db.table("Ret").put(["pk": .s("k\(i)"), "sk": 1]) }
        let shardId = try db.describeStream(streamArn: arn).shards[0].shardId
        let horizonIterator = try db.getShardIterator(streamArn: arn, shardId: shardId, type: .trimHorizon)
        let first = try #require(try db.getRecords(shardIterator: horizonIterator, limit: 1).records.first)
        _ = try await db.deleteTable("Gone")
        // Wait (bounded) for the trimming: every record goes.
        var remaining = 100
        for _ in 0..<100 where remaining > 0 {
            try await Task.sleep(for: .milliseconds(50))
            // One page from the trim horizon, in one snapshot: trimming runs meanwhile.
            let stream = try #require(db.streamHandle(try db.handle("Ret").definition.stream!.id))
            remaining = try db.readStream(stream, shard: stream.shards[0], after: nil, limit: 1000).records.count
        }
        #expect(remaining == 0)
        try await db.table("Ret").put(["pk": "new", "sk": 1])
        let fresh = try db.getRecords(shardIterator: try db.getShardIterator(streamArn: arn, shardId: shardId, type: .trimHorizon))
        #expect(fresh.records.map { $0.keys["pk"] } == ["new"])
        do {
            _ = try db.getRecords(shardIterator: horizonIterator)
            Issue.record("reading trimmed records succeeded")
        } catch {
            #expect(error.kind == .trimmedDataAccess)
        }
        do {
            _ = try db.getShardIterator(streamArn: arn, shardId: shardId, type: .atSequenceNumber, sequenceNumber: first.sequenceNumber)
            Issue.record("an iterator at a trimmed record was issued")
        } catch {
            #expect(error.kind == .trimmedDataAccess)
        }
        // The deleted table's stream is gone once its retention is over.
        for _ in 0..<100 where try db.listStreams().streams.contains(where: { $0.streamArn == goneArn }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try db.listStreams().streams.map(\.tableName) == ["Ret"])
    }

    struct Thing: Codable, Equatable {
        var pk: String
        var sk: Int
        var name: String
    }

    /// `changes()` follows the stream live (woken by commits), resumes after saved sequence
    /// numbers, decodes images into Codable types, and ends on cancellation and on close.
    @Test func subscribersFollowTheStream() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(StreamTests.request("Sub", .newAndOldImages))
        let table = db.table("Sub")
        let follower = Task { () throws -> [StreamRecord] in
            var seen: [StreamRecord] = []
            for try await batch in table.changes(from: .trimHorizon, batchSize: 8) {
                seen += batch
                if seen.count >= 60 { break }
            }
            return seen
        }
        for i in 0..<60 { try await table.put(["pk": .s("k\(i % 12)"), "sk": .n(Number(i)), "name": .s("n\(i)")]) }
        let seen = try await follower.value
        #expect(seen.count == 60)
        #expect(Set(seen.map { $0.keys["sk"]! }).count == 60)
        // Per partition key the order is commit order (one shard per partition key).
        for p in 0..<12 {
            let numbers = seen.filter { $0.keys["pk"] == .s("k\(p)") }.map { $0.keys["sk"]! }
            #expect(numbers == numbers.sorted { KeyEncoding.compare($0, $1) < 0 })
        }
        #expect(try seen[0].newImage(as: Thing.self)?.name.hasPrefix("n") == true)

        // Resuming after what was seen delivers only what came since.
        var last: [Int: String] = [:]
        for record in seen { last[StreamRecordCodec.parse(sequenceNumber: record.sequenceNumber)!.shard] = record.sequenceNumber }
        try await table.put(["pk": "k0", "sk": 0, "name": "renamed"])
        var resumed: [StreamRecord] = []
        for try await batch in table.changes(from: .after(Array(last.values))) {
            resumed += batch
            break
        }
        #expect(resumed.count == 1 && resumed[0].eventName == .modify)
        #expect(try resumed[0].oldImage(as: Thing.self) == Thing(pk: "k0", sk: 0, name: "n0"))

        // A waiting subscriber ends when its task is cancelled, and when the database closes.
        let waiting = Task { () throws -> Int in
            var batches = 0
            for try await _ in table.changes(from: .latest) { batches += 1 }
            return batches
        }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        #expect(try await waiting.value == 0)
        let untilClose = Task { () throws -> Int in
            var batches = 0
            for try await _ in table.changes(from: .latest) { batches += 1 }
            return batches
        }
        try await Task.sleep(for: .milliseconds(50))
        db.close()
        #expect(try await untilClose.value == 0)
    }

    /// Of two concurrent enables, exactly one wins, and writes go to the winner's stream.
    @Test func concurrentEnablesLeaveOneStream() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Two", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        func enable(_ viewType: StreamViewType) async -> Result<TableDescription, ShoalError> {
            do {
                return .success(try await db.updateTable(UpdateTableRequest(tableName: "Two", streamSpecification: .enabled(viewType))))
            } catch {
                return .failure(error)
            }
        }
        async let first = enable(.keysOnly)
        async let second = enable(.newImage)
        let results = await [first, second]
        let winners = results.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        for case .failure(let error) in results {
            #expect(error.message == "Table already has an enabled stream: TableName: Two")
        }
        #expect(try db.listStreams(tableName: "Two").streams.count == 1)
        try await db.table("Two").put(["pk": "a", "sk": 1])
        #expect(try StreamTests.records(db, "Two").flatMap { $0 }.count == 1)
        #expect(try db.describeTable("Two").table.latestStreamArn == winners.first?.latestStreamArn)
    }

    @Test func sequenceNumbersRoundTrip() {
        let n = StreamRecordCodec.sequenceNumber(counter: 42, shard: 3)
        #expect(n.count == 21 && n == "000000000000000043011")
        #expect(StreamRecordCodec.parse(sequenceNumber: n)! == (42, 3))
        #expect(StreamRecordCodec.parse(sequenceNumber: "12") == nil)
        #expect(StreamRecordCodec.parse(sequenceNumber: "0000000000000000000x1") == nil)
        #expect(StreamRecordCodec.key(counter: 258) == [0, 0, 0, 0, 0, 0, 1, 2])
        #expect(StreamRecordCodec.counter(ofKey: [0, 0, 0, 0, 0, 0, 1, 2]) == 258)
    }
}
