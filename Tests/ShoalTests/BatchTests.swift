import Testing
@testable import Shoal

@Suite struct BatchTests {
    private func setUp() async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase()
        _ = try await db.createTable(CreateTableRequest(tableName: "TblA", partitionKey: ("id", .s)))
        _ = try await db.createTable(CreateTableRequest(tableName: "TblB", partitionKey: ("k", .n), sortKey: ("r", .s)))
        return (db, dir)
    }

    @Test func writeAndGetAcrossTables() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        var aWrites: [WriteRequest] = (0..<15).map { .put(["id": .s("a\($0)"), "n": .n(Number($0))]) }
        let bWrites: [WriteRequest] = (0..<10).map { .put(["k": .n(Number($0)), "r": "x"]) }
        let response = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": aWrites, "TblB": bWrites]))
        #expect(response.unprocessedItems.isEmpty)
        aWrites = [.delete(key: ["id": "a0"]), .delete(key: ["id": "a1"]), .put(["id": "a2", "n": 99])]
        _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": aWrites]))

        let get = try await db.batchGetItem(BatchGetItemRequest(requestItems: [
            "TblA": KeysAndAttributes(keys: [["id": "a0"], ["id": "a2"], ["id": "a14"], ["id": "missing"]]),
            "TblB": KeysAndAttributes(keys: [["k": 3, "r": "x"], ["k": 3, "r": "y"]]),
        ]))
        #expect(Set(get.responses["TblA"]!.dictionaries) == Set([["id": "a2", "n": 99], ["id": "a14", "n": 14]] as [Item]))
        #expect(get.responses["TblB"]! == [["k": 3, "r": "x"]])
        #expect(get.unprocessedKeys.isEmpty)
        #expect(try db.describeTable("TblA").table.itemCount == 13)
    }

    @Test func limitsAndDuplicates() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let tooMany: [WriteRequest] = (0..<26).map { .put(["id": .s("x\($0)")]) }
        await expectError(.validation, "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]") {
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": tooMany]))
        }
        await expectError(.validation, "Provided list of item keys contains duplicates") {
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": [.put(["id": "d"]), .delete(key: ["id": "d"])]]))
        }
        await expectError(.validation, "Too many items requested for the BatchGetItem call") {
            _ = try await db.batchGetItem(BatchGetItemRequest(requestItems: ["TblA": KeysAndAttributes(keys: (0..<101).map { ["id": .s("k\($0)")] })]))
        }
        await expectError(.validation, "Provided list of item keys contains duplicates") {
            _ = try await db.batchGetItem(BatchGetItemRequest(requestItems: ["TblA": KeysAndAttributes(keys: [["id": "k"], ["id": "k"]])]))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.batchGetItem(BatchGetItemRequest(requestItems: ["Nope": KeysAndAttributes(keys: [["id": "k"]])]))
        }
    }

    @Test func anInvalidRequestWritesNothing() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let writes: [WriteRequest] = (0..<10).map { .put(["id": .s("ok\($0)")]) } + [.put(["id": .n(5)])]
        await expectError(.validation, "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N") {
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": writes]))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["TblA": [.put(["id": "fine"])], "Missing": [.put(["id": "x"])]]))
        }
        #expect(try await db.table("TblA").scan().isEmpty)
    }

    @Test func batchGetStopsAtSixteenMegabytes() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let payload = String(repeating: "z", count: 399_000)
        for i in 0..<45 { try await db.table("TblA").put(["id": .s("big\(i)"), "data": .s(payload)]) }
        let keys: [Item] = (0..<45).map { ["id": .s("big\($0)")] }
        let response = try await db.batchGetItem(BatchGetItemRequest(requestItems: ["TblA": KeysAndAttributes(keys: keys)]))
        let returned = response.responses["TblA"]!.count
        let left = response.unprocessedKeys["TblA"]?.keys.count ?? 0
        #expect(returned + left == 45)
        #expect(left > 0 && returned >= 42)
    }
}
