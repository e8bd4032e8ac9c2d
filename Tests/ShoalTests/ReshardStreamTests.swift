import Foundation
import Testing
@testable import Shoal

/// Change streams across reshards: stream shard lineage, and every reader continuing through it.
@Suite struct ReshardStreamTests {
    static let keys = 60

    static func open(_ dir: TemporaryDirectory) throws -> Database {
        var options = ReshardTests.options()
        options.triggerRetryBase = .milliseconds(5)
        options.triggerRetryCap = .milliseconds(40)
        return try Database.open(at: dir.path, options: options)
    }

    /// One round of changes: every key written with `round` as `v`; in odd rounds every fifth key is deleted after.
    static func writeRound(_ db: Database, _ round: Int) async throws {
        for k in 0..<keys {
            try await db.table("Log").put(["pk": .s("k\(k)"), "sk": 0, "v": .n(Number(round))])
        }
        if round % 2 == 1 {
            for k in stride(from: 0, to: keys, by: 5) { try await db.table("Log").delete(["pk": .s("k\(k)"), "sk": 0]) }
        }
    }

    /// What each key's records must say, in order: `v` of each put, `nil` for a delete.
    static func expected(rounds: Int) -> [String: [Int?]] {
        var result: [String: [Int?]] = [:]
        for round in 0..<rounds {
            for k in 0..<keys { result["k\(k)", default: []].append(round) }
            if round % 2 == 1 { for k in stride(from: 0, to: keys, by: 5) { result["k\(k)", default: []].append(nil) } }
        }
        return result
    }

    /// Records grouped by key, in the order given: the new image's `v`, or nil for a removal.
    static func byKey(_ records: [StreamRecord]) -> [String: [Int?]] {
        var result: [String: [Int?]] = [:]
        for record in records {
            guard case .s(let key)? = record.keys["pk"] else { continue }
            var value: Int?
            if case .n(let number)? = record.newImage?["v"] { value = Int(number.description) }
            result[key, default: []].append(record.eventName == .remove ? nil : value)
        }
        return result
    }

    /// Reads the whole stream through the Streams API the way a DynamoDB Streams client does:
    /// a shard only after its parent (and here, as Shoal's own readers do, after its whole generation).
    static func readThroughLineage(_ db: Database, arn: String) throws -> (shards: [StreamShard], records: [StreamRecord]) {
        let shards = try db.describeStream(streamArn: arn).shards
        var done: Set<String> = []
        var records: [StreamRecord] = []
        for shard in shards {
            // (A parent whose records all aged out is no longer listed.)
            if let parent = shard.parentShardId, shards.contains(where: { $0.shardId == parent }) {
                #expect(done.contains(parent), "\(shard.shardId) read before its parent")
            }
            var iterator: String? = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .trimHorizon)
            var rounds = 0
            while let current = iterator, rounds < 10_000 {
                let page = try db.getRecords(shardIterator: current, limit: 17)
                records += page.records
                rounds += 1
                // An open shard read to its end returns an empty page with a next iterator.
                if page.records.isEmpty && shard.endingSequenceNumber == nil { break }
                iterator = page.nextShardIterator
            }
            done.insert(shard.shardId)
        }
        return (shards, records)
    }

    @Test func streamShardsCloseAndChildrenNameTheirParentsAcrossGrowAndShrink() async throws {
        let dir = TemporaryDirectory()
        let log = BatchLog()
        var db = try ReshardStreamTests.open(dir)
        db.registerFunction("f") { batch in log.append(batch); return .success }
        let arn = try await TriggerTests.streamTable(db, "Log")
        _ = try await TriggerTests.mapping(db, arn, position: .trimHorizon)
        try await ReshardStreamTests.writeRound(db, 0)
        db.close()
        let grown = try await Reshard.run(at: dir.path, shardCount: 7, durability: .noSync)
        #expect(grown.to == 7)

        db = try ReshardStreamTests.open(dir)
        db.registerFunction("f") { batch in log.append(batch); return .success }
        try await ReshardStreamTests.writeRound(db, 1)
        db.close()
        _ = try await Reshard.run(at: dir.path, shardCount: 3, durability: .noSync)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/shards/003"))

        db = try ReshardStreamTests.open(dir)
        defer { db.close() }
        db.registerFunction("f") { batch in log.append(batch); return .success }
        try await ReshardStreamTests.writeRound(db, 2)
        let want = ReshardStreamTests.expected(rounds: 3)
        let total = want.values.reduce(0) { $0 + $1.count }

        // DescribeStream: 4 closed shards, 7 closed children of them, 3 open children of those.
        let (shards, records) = try ReshardStreamTests.readThroughLineage(db, arn: arn)
        #expect(shards.count == 4 + 7 + 3)
        let ids = shards.map(\.shardId)
        #expect(Set(ids).count == ids.count)
        #expect(shards.prefix(4).allSatisfy { $0.parentShardId == nil && $0.endingSequenceNumber != nil })
        #expect(shards[4..<11].allSatisfy { ids.prefix(4).contains($0.parentShardId ?? "") && $0.endingSequenceNumber != nil })
        #expect(shards.suffix(3).allSatisfy { ids[4..<11].contains($0.parentShardId ?? "") && $0.endingSequenceNumber == nil })
        // A surviving storage shard's child names it (shard 1 of each generation).
        #expect(shards[5].parentShardId == shards[1].shardId && shards[12].parentShardId == shards[5].shardId)
        let children = try db.describeStream(streamArn: arn, childShardsOf: shards[1].shardId).shards
        #expect(children.contains { $0.shardId == shards[5].shardId })

        // Every change exactly once, each key's changes in order, sequence numbers unique.
        #expect(records.count == total)
        #expect(Set(records.map(\.sequenceNumber)).count == records.count)
        #expect(ReshardStreamTests.byKey(records) == want)

        // An iterator names its shard: the records of a closed shard stop at its end.
        let closed = shards[2]
        let page = try db.getRecords(shardIterator: try db.getShardIterator(streamArn: arn, shardId: closed.shardId, type: .trimHorizon))
        #expect(page.records.last?.sequenceNumber ?? "" <= closed.endingSequenceNumber ?? "")
        if let first = page.records.first {
            _ = try db.getShardIterator(streamArn: arn, shardId: closed.shardId, type: .atSequenceNumber, sequenceNumber: first.sequenceNumber)
            await expectError(.validation, "Invalid SequenceNumber: \(first.sequenceNumber) for shard \(shards[12].shardId)") {
                _ = try db.getShardIterator(streamArn: arn, shardId: shards[12].shardId, type: .atSequenceNumber,
                                            sequenceNumber: first.sequenceNumber)
            }
        }

        // A subscriber from the trim horizon gets the same, generation by generation.
        var followed: [StreamRecord] = []
        for try await batch in db.table("Log").changes(from: .trimHorizon) {
            followed += batch
            if followed.count >= total { break }
        }
        #expect(ReshardStreamTests.byKey(followed) == want)

        // The trigger continued across both reshards (and two restarts): every record, each key in order.
        #expect(try await eventually(20) { Set(log.all.flatMap(\.records).map(\.eventID)).count == total })
        var seen: Set<String> = []
        let firstDeliveries = log.all.flatMap(\.records).filter { seen.insert($0.eventID).inserted }
        #expect(ReshardStreamTests.byKey(firstDeliveries) == want)
        #expect(Set(log.all.map(\.shardId)).isSubset(of: Set(ids)))
    }

    @Test func aSubscriberResumesFromSequenceNumbersSavedBeforeAReshard() async throws {
        let dir = TemporaryDirectory()
        var db = try ReshardStreamTests.open(dir)
        _ = try await TriggerTests.streamTable(db, "Log")
        try await ReshardStreamTests.writeRound(db, 0)
        // Read a part of the stream and save the last sequence number per shard.
        var saved: [Int: String] = [:]
        var read: [StreamRecord] = []
        for try await batch in db.table("Log").changes(from: .trimHorizon, batchSize: 5) {
            read += batch
            for record in batch {
                if let parsed = StreamRecordCodec.parse(sequenceNumber: record.sequenceNumber) { saved[parsed.shard] = record.sequenceNumber }
            }
            if read.count >= 20 { break }
        }
        try await ReshardStreamTests.writeRound(db, 1)
        db.close()
        _ = try await Reshard.run(at: dir.path, shardCount: 6, durability: .noSync)
        db = try ReshardStreamTests.open(dir)
        defer { db.close() }
        try await ReshardStreamTests.writeRound(db, 2)
        let want = ReshardStreamTests.expected(rounds: 3)
        let total = want.values.reduce(0) { $0 + $1.count }
        for try await batch in db.table("Log").changes(from: .after(Array(saved.values))) {
            read += batch
            if read.count >= total { break }
        }
        #expect(read.count == total)
        #expect(ReshardStreamTests.byKey(read) == want)
    }

    @Test func retentionTrimsArchivedShardsAndDescribeStreamDropsEmptiedClosedShards() async throws {
        let dir = TemporaryDirectory()
        var db = try ReshardStreamTests.open(dir)
        let arn = try await TriggerTests.streamTable(db, "Log")
        try await ReshardStreamTests.writeRound(db, 0)
        db.close()
        _ = try await Reshard.run(at: dir.path, shardCount: 2, durability: .noSync)
        db = try ReshardStreamTests.open(dir)
        defer { db.close() }
        // Removed storage shards 2 and 3 live on as archives in shard 0.
        let stream = try #require(db.streamHandle(try db.handle("Log").definition.liveStream!.id))
        #expect(Set(stream.archives.keys) == [2, 3])
        #expect(try db.describeStream(streamArn: arn).shards.count == 4 + 2)
        try await ReshardStreamTests.writeRound(db, 1)
        // Two days on, every record is past retention: the closed shards go, the open ones stay (empty).
        await db.trimStreams(now: Date().addingTimeInterval(2 * 86_400))
        let shards = try db.describeStream(streamArn: arn).shards
        #expect(shards.count == 2)
        #expect(shards.allSatisfy { $0.endingSequenceNumber == nil && $0.parentShardId != nil })
        for ref in stream.shards where ref.archived {
            #expect(try db.readStream(stream, shard: ref, after: nil, limit: 100).records.isEmpty)
            #expect(throws: ShoalError.self) { _ = try db.readStream(stream, shard: ref, after: ref.after, limit: 100) }
        }
        try await db.table("Log").put(["pk": "fresh", "sk": 0])
        let (_, records) = try ReshardStreamTests.readThroughLineage(db, arn: arn)
        #expect(records.map(\.keys["pk"]) == ["fresh"])
    }

    @Test func aReshardEndsTheOpenTumblingWindowsOfTheClosedShardsEarly() async throws {
        let dir = TemporaryDirectory()
        let log = BatchLog()
        var db = try ReshardStreamTests.open(dir)
        db.registerFunction("f") { batch in
            log.append(batch)
            return TriggerResponse(state: "{\"seen\":\(batch.records.count)}")
        }
        let arn = try await TriggerTests.streamTable(db, "Log")
        _ = try await TriggerTests.mapping(db, arn, TriggerTests.params(tumbling: 900))
        try await ReshardStreamTests.writeRound(db, 0)
        #expect(try await eventually { log.count == ReshardStreamTests.keys })
        db.close()
        _ = try await Reshard.run(at: dir.path, shardCount: 5, durability: .noSync)
        db = try ReshardStreamTests.open(dir)
        defer { db.close() }
        db.registerFunction("f") { batch in
            log.append(batch)
            return TriggerResponse(state: "{\"seen\":\(batch.records.count)}")
        }
        // Each old shard that had a window open gets its final invocation, marked as ended early.
        let opened = Set(log.all.filter { !$0.records.isEmpty }.map(\.shardId))
        #expect(try await eventually { Set(log.all.filter { $0.window?.isFinalInvokeForWindow == true }.map(\.shardId)).count == 4 })
        #expect(Set(log.all.filter { $0.window?.isFinalInvokeForWindow == true }.map(\.shardId)) == opened)
        #expect(log.all.filter { $0.window?.isFinalInvokeForWindow == true }.allSatisfy { $0.window?.isWindowTerminatedEarly == true && $0.records.isEmpty })
        #expect(opened.count == 4)
    }
}
