import Foundation
import Testing
@testable import Shoal

/// Tokens the database hands out are sealed with the directory's secret: forged, altered,
/// foreign or absurd ones are `ValidationException`, never a trap or an iterator that never expires.
@Suite struct TokenTests {
    private func streamID(_ db: Database) throws -> String {
        try #require(try db.handle("Tok").definition.stream).id
    }

    private func expectInvalid(_ db: Database, _ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try db.getRecords(shardIterator: token)
            Issue.record("the token was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == .validation && error.message == "Invalid ShardIterator", sourceLocation: sourceLocation)
        }
    }

    @Test func forgedAlteredAndForeignIteratorsAreRefused() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(StreamTests.request("Tok", .keysOnly))
        try await db.table("Tok").put(["pk": "a", "sk": 1])
        let arn = try #require(try db.describeTable("Tok").table.latestStreamArn)
        let shardId = try db.describeStream(streamArn: arn).shards[0].shardId
        let good = try db.getShardIterator(streamArn: arn, shardId: shardId, type: .trimHorizon)
        #expect(try db.getRecords(shardIterator: good).records.count == 1)

        // The old unsealed form, with an issue time that overflowed the age arithmetic.
        let id = try streamID(db)
        expectInvalid(db, Data("1|\(id)|0|0|\(Int64.min)".utf8).base64EncodedString())
        expectInvalid(db, Data("1|\(id)|0|0|\(Int64.max)".utf8).base64EncodedString())
        // One flipped bit anywhere.
        var bytes = Array(try #require(Data(base64Encoded: good)))
        for position in [0, bytes.count / 2, bytes.count - 1] {
            bytes[position] ^= 1
            expectInvalid(db, Data(bytes).base64EncodedString())
            bytes[position] ^= 1
        }
        expectInvalid(db, "garbage")
        // Outside the model's 1...2048 characters: the framework's message, before any unsealing.
        for (token, bound) in [("", "greater than or equal to 1"), (String(repeating: "A", count: 100_000), "less than or equal to 2048")] {
            #expect(throws: ShoalError.validation("1 validation error detected: Value '\(token)' at 'shardIterator' failed to satisfy constraint: Member must have length \(bound)")) {
                _ = try db.getRecords(shardIterator: token)
            }
        }

        // Sealed by this directory but with absurd times: no trap, no eternal iterator.
        for issued in [Int64.min, Int64.max, db.clock.epochMillis + 3_600_000] {
            expectInvalid(db, ShardIterator(streamID: id, shard: 0, after: 0, issuedMillis: issued).sealed(by: db.tokens))
        }
        // A shard ordinal that does not exist.
        do {
            _ = try db.getRecords(shardIterator: ShardIterator(streamID: id, shard: 999, after: 0, issuedMillis: db.clock.epochMillis).sealed(by: db.tokens))
            Issue.record("an iterator for a missing shard was accepted")
        } catch {
            #expect(error.kind == .resourceNotFound)
        }

        // Another directory's secret differs: its iterators do not open here, even for the same stream id.
        let (other, otherDir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(otherDir) {}; other.close() }
        expectInvalid(db, ShardIterator(streamID: id, shard: 0, after: 0, issuedMillis: db.clock.epochMillis).sealed(by: other.tokens))
    }

    @Test func theSecretSurvivesReopening() async throws {
        let dir = TemporaryDirectory()
        var iterator = ""
        do {
            let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 1, durability: .noSync))
            _ = try await db.createTable(StreamTests.request("Tok", .keysOnly))
            try await db.table("Tok").put(["pk": "a", "sk": 1])
            let arn = try #require(try db.describeTable("Tok").table.latestStreamArn)
            let shardId = try db.describeStream(streamArn: arn).shards[0].shardId
            iterator = try db.getShardIterator(streamArn: arn, shardId: shardId, type: .trimHorizon)
            db.close()
        }
        let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 1, durability: .noSync))
        defer { db.close() }
        #expect(try db.getRecords(shardIterator: iterator).records.count == 1)
    }

    /// Every shard's StartingSequenceNumber works with GetShardIterator as-is, also on an empty
    /// shard, and reads from the shard's first record.
    @Test func startingSequenceNumbersAreUsable() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        // Another table's records move the storage shards' counters first.
        _ = try await db.createTable(StreamTests.request("Other", .keysOnly))
        for i in 0..<10 { try await db.table("Other").put(["pk": .s("o\(i)"), "sk": 1]) }
        _ = try await db.createTable(StreamTests.request("Tok", .keysOnly))
        let arn = try #require(try db.describeTable("Tok").table.latestStreamArn)
        let empty = try db.describeStream(streamArn: arn).shards
        for shard in empty {
            #expect(shard.startingSequenceNumber.utf8.count >= 21)
            for type in [ShardIteratorType.atSequenceNumber, .afterSequenceNumber] {
                _ = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: type, sequenceNumber: shard.startingSequenceNumber)
            }
        }
        try await db.table("Tok").update(["pk": "a", "sk": 1], .set("v", to: 1))
        try await db.table("Tok").update(["pk": "a", "sk": 1], .set("v", to: 2))
        var read: [StreamRecord] = []
        for shard in empty {
            let iterator = try db.getShardIterator(streamArn: arn, shardId: shard.shardId, type: .atSequenceNumber,
                                                   sequenceNumber: shard.startingSequenceNumber)
            read += try db.getRecords(shardIterator: iterator).records
        }
        #expect(read.map(\.eventName) == [.insert, .modify])
    }
}
