import Foundation
import Testing
@testable import Shoal

/// Requests built to exhaust the stack, and the directory's ownership rules.
@Suite struct HardeningTests {
    @Test func thirtyThousandLegacyConditionsAreEvaluatedWithoutDeepRecursion() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Legacy", partitionKey: ("id", .s)))
        var expected: [AttributeName: ExpectedAttributeValue] = [:]
        for i in 0..<30_000 { expected["a\(i)"] = ExpectedAttributeValue(exists: false) }
        _ = try await db.putItem(PutItemRequest(tableName: "Legacy", item: ["id": "x", "a7": 1], expected: expected))
        // Now a7 exists, so the same conditions fail (the last of 30,000 joined by AND).
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.putItem(PutItemRequest(tableName: "Legacy", item: ["id": "x"], expected: expected))
        }
        _ = try await db.putItem(PutItemRequest(tableName: "Legacy", item: ["id": "x", "b": 2], expected: expected, conditionalOperator: .or))
        #expect(try await db.table("Legacy").get(["id": "x"])?["b"] == 2)
        // The join is balanced: its depth grows with the logarithm of the count.
        let joined = LegacyParameters.join((0..<30_000).map { .attributeExists(DocumentPath(attribute: "a\($0)")) }, .and)
        func depth(_ c: Condition) -> Int {
            if case let .and(a, b) = c { return 1 + max(depth(a), depth(b)) }
            return 0
        }
        #expect(depth(joined!) == 15)
    }

    @Test func swiftBuiltConditionsAreBounded() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Typed", partitionKey: ("id", .s)))
        var chain = Condition.attributeNotExists("id")
        for _ in 0..<5_000 { chain = .not(.not(chain)) }
        await expectError(.validation, "Invalid ConditionExpression: The expression has too many nested levels") {
            _ = try await db.putItem(PutItemRequest(tableName: "Typed", item: ["id": "x"], condition: chain))
        }
    }

    @Test func expressionsHaveAtMost300Operators() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Ops", partitionKey: ("id", .s)))
        func expression(_ comparisons: Int) -> String {
            (0..<comparisons).map { _ in "a<>b" }.joined(separator: " and ")
        }
        // 150 comparisons and 149 ANDs: 299 operators.
        _ = try await db.putItem(PutItemRequest(tableName: "Ops", item: ["id": "x"], conditionExpression: expression(150)))
        await expectError(.validation, "Invalid ConditionExpression: The expression contains too many operators; operator count: 301") {
            _ = try await db.putItem(PutItemRequest(tableName: "Ops", item: ["id": "x"], conditionExpression: expression(151)))
        }
        let nots = String(repeating: "NOT ", count: 400) + "attribute_exists(a)"
        await expectError(.validation, "Invalid ConditionExpression: The expression contains too many operators; operator count: 301") {
            _ = try await db.putItem(PutItemRequest(tableName: "Ops", item: ["id": "x"], conditionExpression: nots))
        }
    }

    @Test func aDataDirectoryHasOneOwner() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        do {
            _ = try Database.open(at: dir.path)
            Issue.record("a second open of the same directory must fail")
        } catch let error as ShoalError {
            #expect(error.message == "The data directory \(dir.path) is in use by another process (pid \(ProcessInfo.processInfo.processIdentifier))")
        }
        // Read-only opens take no lock and see the owner's committed data.
        _ = try await db.createTable(CreateTableRequest(tableName: "Owned", partitionKey: ("id", .s)))
        try await db.table("Owned").put(["id": "a"])
        let reader = try Database.open(at: dir.path, options: DatabaseOptions(readOnly: true))
        #expect(try reader.listTables().tableNames == ["Owned"])
        #expect(try reader.describeTable("Owned").table.itemCount == 1)
        await #expect(throws: ShoalError.self) { try await reader.table("Owned").put(["id": "b"]) }
        reader.close()
        db.close()
        let again = try Database.open(at: dir.path)
        #expect(try await again.table("Owned").get(["id": "a"]) != nil)
        again.close()
    }

    @Test func readOnlyOpenOfAMissingDirectoryCreatesNothing() throws {
        let dir = TemporaryDirectory()
        #expect(throws: ShoalError.internalError("No Shoal data directory at \(dir.path)")) {
            _ = try Database.open(at: dir.path, options: DatabaseOptions(readOnly: true))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func invalidTagsCreateNoTable() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        var request = CreateTableRequest(tableName: "Tagged", partitionKey: ("id", .s))
        request.tags = ["aws:reserved": "x"]
        await expectError(.validation, "One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for AWS use") {
            _ = try await db.createTable(request)
        }
        #expect(try db.listTables().tableNames == [])
        request.tags = ["team": "storage"]
        _ = try await db.createTable(request)
        #expect(try db.listTags(tableName: "Tagged").map(\.key) == ["team"])
    }

    @Test func aShardThatCannotWriteReturnsItsPartUnprocessed() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Batch", partitionKey: ("id", .s)))
        let items: [Item] = (0..<20).map { ["id": .s("k\($0)")] }
        let stopped = db.ring.shard(for: KeyEncoding.token(items[0]["id"]!))
        db.shards[stopped].writer.stop()
        let response = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Batch": items.map { .put($0) }]))
        let unprocessed = Set((response.unprocessedItems["Batch"] ?? []).map { request -> String in
            guard case .put(let item) = request, case .s(let id)? = item["id"] else { return "?" }
            return id
        })
        let expected = Set(items.filter { db.ring.shard(for: KeyEncoding.token($0["id"]!)) == stopped }.map { $0["id"]!.stringValue! })
        #expect(!expected.isEmpty)
        #expect(unprocessed == expected)
        for item in items where !expected.contains(item["id"]!.stringValue!) {
            #expect(try await db.table("Batch").get(["id": item["id"]!]) != nil)
        }
    }
}
