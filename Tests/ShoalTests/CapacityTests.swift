import Foundation
import Testing
@testable import Shoal

/// Enforced provisioned capacity, driven by the manual clock so every refill is exact: token
/// buckets per table and global index, the capacity-unit rules, burst, back-pressure from an
/// index, batches and transactions.
@Suite struct CapacityTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let tableArn = "arn:aws:dynamodb:us-east-1:000000000000:table/Orders"

    static func open(_ dir: TemporaryDirectory) throws -> Database {
        var options = DatabaseOptions(shardCount: 2, durability: .noSync)
        options.clock = ShoalClock(.manual, start: start)
        options.enforceCapacity = true
        return try Database.open(at: dir.path, options: options)
    }

    /// A provisioned `Orders` table (pk) with `read`/`write` units, and optionally a `byG` index on `g`.
    static func orders(_ db: Database, read: Int64, write: Int64, index: ProvisionedThroughput? = nil, name: String = "Orders") async throws {
        var request = CreateTableRequest(tableName: name, partitionKey: ("pk", .s))
        request.billingMode = .provisioned
        request.provisionedThroughput = ProvisionedThroughput(readCapacityUnits: read, writeCapacityUnits: write)
        if let index {
            request.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
            var gsi = GlobalSecondaryIndex("byG", partitionKey: "g")
            gsi.provisionedThroughput = index
            request.globalSecondaryIndexes = [gsi]
        }
        _ = try await db.createTable(request)
    }

    static func expectThrottled(_ reasons: [ThrottlingReason], sourceLocation: SourceLocation = #_sourceLocation,
                                _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("not throttled", sourceLocation: sourceLocation)
        } catch let error as ShoalError {
            #expect(error.kind == .provisionedThroughputExceeded, sourceLocation: sourceLocation)
            #expect(error.throttlingReasons == reasons, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    static let writeReason = [ThrottlingReason(reason: "TableWriteProvisionedThroughputExceeded", resource: tableArn)]
    static let readReason = [ThrottlingReason(reason: "TableReadProvisionedThroughputExceeded", resource: tableArn)]

    @Test func writesPayByTheKilobyteAndRefillWithTheClock() async throws {
        let dir = TemporaryDirectory()
        let db = try CapacityTests.open(dir)
        defer { db.close() }
        try await CapacityTests.orders(db, read: 5, write: 1)
        let table = db.table("Orders")
        // A new bucket holds one second: one 1 KB write, then throttled until the clock moves.
        try await table.put(["pk": "a"])
        await CapacityTests.expectThrottled(CapacityTests.writeReason) { try await table.put(["pk": "b"]) }
        try await db.advanceClock(by: 1)
        // 3 KB costs 3 units: the bucket goes to -2 and needs 3 seconds to admit again.
        try await table.put(["pk": "big", "pad": .s(String(repeating: "x", count: 3000))])
        try await db.advanceClock(by: 2)
        await CapacityTests.expectThrottled(CapacityTests.writeReason) { try await table.put(["pk": "c"]) }
        try await db.advanceClock(by: 1)
        try await table.put(["pk": "c"])
        // A failed condition still pays a unit.
        try await db.advanceClock(by: 1)
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            try await table.put(["pk": "c"], condition: .attributeNotExists("pk"))
        }
        await CapacityTests.expectThrottled(CapacityTests.writeReason) { try await table.put(["pk": "d"]) }
        // Unused capacity builds up to 300 seconds' worth (burst), no more.
        try await db.advanceClock(by: 10_000)
        let hundredKB = AttributeValue.s(String(repeating: "y", count: 100 * 1024 - 20))
        for i in 0..<3 { try await table.put(["pk": .s("burst\(i)"), "pad": hundredKB]) }
        await CapacityTests.expectThrottled(CapacityTests.writeReason) { try await table.put(["pk": "e"]) }
    }

    @Test func readsPayByFourKilobytesHalfForEventualConsistency() async throws {
        let dir = TemporaryDirectory()
        let db = try CapacityTests.open(dir)
        defer { db.close() }
        try await CapacityTests.orders(db, read: 2, write: 10)
        try await db.table("Orders").put(["pk": "a"])
        // Two units: four eventually consistent reads of a small item (half a unit each).
        for _ in 0..<4 { _ = try await db.getItem(GetItemRequest(tableName: "Orders", key: ["pk": "a"])) }
        await CapacityTests.expectThrottled(CapacityTests.readReason) { _ = try await db.getItem(GetItemRequest(tableName: "Orders", key: ["pk": "a"])) }
        try await db.advanceClock(by: 1)
        // Strongly consistent: a unit each.
        for _ in 0..<2 { _ = try await db.getItem(GetItemRequest(tableName: "Orders", key: ["pk": "a"], consistentRead: true)) }
        await CapacityTests.expectThrottled(CapacityTests.readReason) {
            _ = try await db.getItem(GetItemRequest(tableName: "Orders", key: ["pk": "a"], consistentRead: true))
        }
        // Validation comes before capacity: an index the table lacks is that error, not a throttle.
        await expectError(.validation, "The table does not have the specified index: nope") {
            _ = try await db.query(QueryRequest(tableName: "Orders", keyConditionExpression: "pk = :p", expressionAttributeValues: [":p": "a"], indexName: "nope"))
        }
        // A Query pays for what it read; the write bucket is another bucket.
        try await db.advanceClock(by: 1)
        _ = try await db.table("Orders").query("a")
        try await db.table("Orders").put(["pk": "b"])
    }

    @Test func aGlobalIndexShortOfWritesThrottlesTheTable() async throws {
        let dir = TemporaryDirectory()
        let db = try CapacityTests.open(dir)
        defer { db.close() }
        try await CapacityTests.orders(db, read: 100, write: 100, index: ProvisionedThroughput(readCapacityUnits: 1, writeCapacityUnits: 1))
        let table = db.table("Orders")
        // The item projects into the index: the index pays a unit too.
        try await table.put(["pk": "a", "g": "x"])
        let indexReason = [ThrottlingReason(reason: "IndexWriteProvisionedThroughputExceeded", resource: CapacityTests.tableArn + "/index/byG")]
        do throws(ShoalError) {
            _ = try await db.putItem(PutItemRequest(tableName: "Orders", item: ["pk": "b"]))
            Issue.record("not throttled")
        } catch {
            #expect(error.kind == .provisionedThroughputExceeded && error.throttlingReasons == indexReason)
            #expect(error.message.hasPrefix("The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded"))
        }
        // Reading the index draws on the index's own read bucket.
        let query = QueryRequest(tableName: "Orders", keyConditionExpression: "g = :g", expressionAttributeValues: [":g": "x"], indexName: "byG")
        _ = try await db.query(query)
        _ = try await db.query(query)
        await CapacityTests.expectThrottled([ThrottlingReason(reason: "IndexReadProvisionedThroughputExceeded", resource: CapacityTests.tableArn + "/index/byG")]) {
            _ = try await db.query(query)
        }
        try await db.advanceClock(by: 1)
        try await table.put(["pk": "b"])
    }

    @Test func transactionsPayDoubleAndBatchesLeaveThrottledTablesUnprocessed() async throws {
        let dir = TemporaryDirectory()
        let db = try CapacityTests.open(dir)
        defer { db.close() }
        try await CapacityTests.orders(db, read: 10, write: 4)
        // Two 1 KB puts in a transaction: 2 × 2 units.
        let pair = TransactWriteItemsRequest(actions: [.put(PutItemRequest(tableName: "Orders", item: ["pk": "t1"])),
                                                       .put(PutItemRequest(tableName: "Orders", item: ["pk": "t2"]))])
        let response = try await db.transactWriteItems(pair)
        #expect(response.consumedCapacity.first?.writeUnits == 4)
        do throws(ShoalError) {
            _ = try await db.transactWriteItems(TransactWriteItemsRequest(actions: [.put(PutItemRequest(tableName: "Orders", item: ["pk": "t3"]))]))
            Issue.record("not throttled")
        } catch {
            #expect(error.kind == .transactionCanceled)
            #expect(error.cancellationReasons?.map(\.code) == ["ProvisionedThroughputExceeded"])
        }
        // A batch over two tables: the throttled one's writes come back unprocessed, the other's are written.
        var request = CreateTableRequest(tableName: "Free", partitionKey: ("pk", .s))
        request.billingMode = .payPerRequest
        _ = try await db.createTable(request)
        let batch = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: [
            "Orders": [.put(["pk": "b1"])], "Free": [.put(["pk": "f1"]), .put(["pk": "f2"])],
        ]))
        #expect(batch.unprocessedItems == ["Orders": [.put(["pk": "b1"])]])
        #expect(try await db.table("Free").scan().count == 2)
        // Only throttled tables: the error itself.
        await CapacityTests.expectThrottled(CapacityTests.writeReason) {
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Orders": [.put(["pk": "b1"])]]))
        }
        // On-demand tables are never throttled.
        for i in 0..<200 { try await db.table("Free").put(["pk": .s("many\(i)")]) }
    }
}
