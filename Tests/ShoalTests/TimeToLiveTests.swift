import Foundation
import Testing
@testable import Shoal

@Suite struct TimeToLiveTests {
    static func open(_ dir: TemporaryDirectory, period: Duration = .seconds(3600)) throws -> Database {
        var options = DatabaseOptions(shardCount: 3, durability: .noSync)
        options.timeToLivePeriod = period
        return try Database.open(at: dir.path, options: options)
    }

    static func sessions(_ db: Database) async throws {
        var request = CreateTableRequest(tableName: "Sessions", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.streamSpecification = .enabled(.newAndOldImages)
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "user", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byUser", partitionKey: "user", projection: .keysOnly)]
        _ = try await db.createTable(request)
    }

    @Test func updateAndDescribeFollowDynamoDBsRules() async throws {
        let dir = TemporaryDirectory()
        let db = try TimeToLiveTests.open(dir)
        defer { db.close() }
        try await TimeToLiveTests.sessions(db)
        #expect(try db.describeTimeToLive("Sessions") == TimeToLiveDescription(status: .disabled))
        await expectError(.validation, "TimeToLive is already disabled") {
            try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: false, attributeName: "expires"))
        }
        await expectError(.validation, "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1") {
            try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: true, attributeName: ""))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            try await db.updateTimeToLive("Missing", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        }
        let echoed = try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        #expect(echoed == TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        #expect(try await eventually { try db.describeTimeToLive("Sessions") == TimeToLiveDescription(status: .enabled, attributeName: "expires") })
        await expectError(.validation, "TimeToLive is already enabled") {
            try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: true, attributeName: "expires"))
        }
        await expectError(.validation, "TimeToLive is active on a different AttributeName: current AttributeName is expires") {
            try await db.updateTimeToLive("Sessions", TimeToLiveSpecification(enabled: true, attributeName: "other"))
        }
        try await db.table("Sessions").timeToLive(attribute: nil)
        #expect(try db.describeTimeToLive("Sessions").status == .disabled)
        // Kept across a restart.
        try await db.table("Sessions").timeToLive(attribute: "until")
        db.close()
        let reopened = try TimeToLiveTests.open(dir)
        defer { reopened.close() }
        #expect(try await eventually { try reopened.describeTimeToLive("Sessions") == TimeToLiveDescription(status: .enabled, attributeName: "until") })
    }

    @Test func dueItemsAreDeletedThroughTheWritePath() async throws {
        let dir = TemporaryDirectory()
        let db = try TimeToLiveTests.open(dir)
        defer { db.close() }
        try await TimeToLiveTests.sessions(db)
        let t = db.table("Sessions")
        let now = Date()
        let past = Number(Int(now.timeIntervalSince1970) - 10)
        let future = Number(Int(now.timeIntervalSince1970) + 3600)
        let ancient = Number(Int(now.timeIntervalSince1970) - 6 * 365 * 24 * 3600)
        // Stored before time to live is enabled: the backfill puts them in the expiry order.
        try await t.put(["pk": "old", "sk": 1, "user": "u1", "expires": .n(past)])
        try await t.timeToLive(attribute: "expires")
        // DescribeTimeToLive says ENABLED at once; the items stored before are in the expiry
        // order once the backfill has finished.
        #expect(try db.describeTimeToLive("Sessions").status == .enabled)
        #expect(try await eventually { db.lookup("Sessions")?.definition.timeToLive?.backfilling == false })
        try await t.put(["pk": "due", "sk": 1, "user": "u1", "expires": .n(past)])
        try await t.put(["pk": "due", "sk": 2, "user": "u2", "expires": .n(try Number("\(Int(now.timeIntervalSince1970) - 5).75"))])
        try await t.put(["pk": "later", "sk": 1, "user": "u1", "expires": .n(future)])
        try await t.put(["pk": "text", "sk": 1, "expires": .s("\(past)")])
        try await t.put(["pk": "ancient", "sk": 1, "expires": .n(ancient)])
        try await t.put(["pk": "negative", "sk": 1, "expires": -5])
        try await t.put(["pk": "none", "sk": 1])
        // Extended before the expirer came by: kept.
        try await t.put(["pk": "renewed", "sk": 1, "expires": .n(past)])
        _ = try await db.updateItem(UpdateItemRequest(tableName: "Sessions", key: ["pk": "renewed", "sk": 1], updateExpression: "SET expires = :f",
                                                      expressionAttributeValues: [":f": .n(future)]))
        // Reads may still see an expired item until the expirer deletes it, as in DynamoDB.
        #expect(try await t.get(["pk": "due", "sk": 1]) != nil)
        #expect(await db.expireDueItems(now: Date()) == 3)
        let left = try await t.scan().compactMap { item -> String? in if case .s(let pk)? = item["pk"] { pk } else { nil } }.sorted()
        #expect(left == ["ancient", "later", "negative", "none", "renewed", "text"])
        #expect(try await t.get(["pk": "due", "sk": 1]) == nil)
        #expect(try await t.get(["pk": "old", "sk": 1]) == nil)
        #expect(try await t.index("byUser").query(["user": "u1"]).count == 1)
        #expect(try await t.index("byUser").query(["user": "u2"]).isEmpty)
        let removes = try StreamTests.records(db, "Sessions").flatMap { $0 }.filter { $0.eventName == .remove }
        #expect(removes.count == 3)
        #expect(removes.allSatisfy { $0.userIdentity == .timeToLive })
        #expect(removes.allSatisfy { $0.oldImage != nil })
        // Nothing more is due; a user's own delete carries no identity.
        #expect(await db.expireDueItems(now: Date()) == 0)
        _ = try await t.delete(["pk": "none", "sk": 1])
        let userDelete = try StreamTests.records(db, "Sessions").flatMap { $0 }.filter { $0.eventName == .remove && $0.keys["pk"] == "none" }
        #expect(userDelete.count == 1 && userDelete[0].userIdentity == nil)
        // The rest expires when its time comes.
        #expect(await db.expireDueItems(now: now.addingTimeInterval(7200)) == 2)
    }

    /// DynamoDB does not forbid a key attribute as the TTL attribute (a numeric sort key of epoch seconds).
    @Test func aNumericSortKeyCanBeTheTimeToLiveAttribute() async throws {
        let dir = TemporaryDirectory()
        let db = try TimeToLiveTests.open(dir)
        defer { db.close() }
        try await TimeToLiveTests.sessions(db)
        try await db.table("Sessions").timeToLive(attribute: "sk")
        let now = Int(Date().timeIntervalSince1970)
        try await db.table("Sessions").put(["pk": "a", "sk": .n(Number(now - 5))])
        try await db.table("Sessions").put(["pk": "a", "sk": .n(Number(now + 3600))])
        #expect(try await eventually { try db.describeTimeToLive("Sessions").status == .enabled })
        #expect(await db.expireDueItems() == 1)
        #expect(try await db.table("Sessions").query("a").map { $0["sk"] } == [.n(Number(now + 3600))])
    }

    @Test func theBackgroundExpirerDeletesAndTriggersSeeTheRemoves() async throws {
        let dir = TemporaryDirectory()
        let db = try TimeToLiveTests.open(dir, period: .milliseconds(50))
        defer { db.close() }
        try await TimeToLiveTests.sessions(db)
        let arn = try #require(try db.handle("Sessions").definition.liveStream).arn(region: db.options.region)
        let log = BatchLog()
        db.registerFunction("f") { batch in log.append(batch); return .success }
        _ = try await TriggerTests.mapping(db, arn)
        try await db.table("Sessions").timeToLive(attribute: "expires")
        let past = Number(Int(Date().timeIntervalSince1970) - 1)
        for i in 0..<40 { try await db.table("Sessions").put(["pk": .s("s\(i)"), "sk": 1, "expires": .n(past)]) }
        #expect(try await eventually { try await db.table("Sessions").scan().isEmpty })
        #expect(try await eventually {
            log.all.flatMap(\.records).filter { $0.eventName == .remove && $0.userIdentity == .timeToLive }.count == 40
        })
        await db.stopTriggers()
    }
}
