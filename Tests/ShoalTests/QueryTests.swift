import Testing
@testable import Shoal

@Suite struct QueryTests {
    private func setUp() async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase()
        _ = try await db.createTable(CreateTableRequest(tableName: "Events", partitionKey: ("user", .s), sortKey: ("at", .n)))
        var writes: [WriteRequest] = []
        for i in 0..<20 {
            writes.append(.put(["user": "u1", "at": .n(Number(i * 10)), "i": .n(Number(i))]))
        }
        writes.append(.put(["user": "u2", "at": -5]))
        _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Events": Array(writes.prefix(21))]))
        return (db, dir)
    }

    private func query(_ db: Database, _ op: SortKeyCondition.Operator?, forward: Bool = true, limit: Int? = nil,
                       start: Item? = nil, select: Select? = nil) async throws -> QueryResponse {
        try await db.query(QueryRequest(
            tableName: "Events",
            keyCondition: KeyCondition(partitionKeyName: "user", partitionKeyValue: "u1", sortKey: op.map { SortKeyCondition(name: "at", $0) }),
            scanIndexForward: forward, limit: limit, exclusiveStartKey: start, select: select))
    }

    private func ats(_ r: QueryResponse) -> [Int64] { r.items.compactMap { $0["at"]?.numberValue?.int64Value } }

    @Test func sortKeyConditions() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        #expect(ats(try await query(db, nil)) == (0..<20).map { Int64($0 * 10) })
        #expect(ats(try await query(db, .equal(50))) == [50])
        #expect(ats(try await query(db, .equal(55))) == [])
        #expect(ats(try await query(db, .lessThan(30))) == [0, 10, 20])
        #expect(ats(try await query(db, .lessThanOrEqual(30))) == [0, 10, 20, 30])
        #expect(ats(try await query(db, .greaterThan(170))) == [180, 190])
        #expect(ats(try await query(db, .greaterThanOrEqual(170))) == [170, 180, 190])
        #expect(ats(try await query(db, .between(35, 70))) == [40, 50, 60, 70])
        #expect(ats(try await query(db, .lessThan(30), forward: false)) == [20, 10, 0])
        #expect(ats(try await query(db, .between(35, 70), forward: false)) == [70, 60, 50, 40])
        #expect(ats(try await query(db, nil, forward: false)).first == 190)
        let other = try await db.query(QueryRequest(tableName: "Events", keyCondition: KeyCondition(partitionKeyName: "user", partitionKeyValue: "u2")))
        #expect(other.items == [["user": "u2", "at": -5]])
        let none = try await db.query(QueryRequest(tableName: "Events", keyCondition: KeyCondition(partitionKeyName: "user", partitionKeyValue: "nobody")))
        #expect(none.items.isEmpty && none.count == 0 && none.lastEvaluatedKey == nil)
    }

    @Test func pagesWithLimitInBothDirections() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        for forward in [true, false] {
            var seen: [Int64] = []
            var start: Item?
            var pages = 0
            repeat {
                let page = try await query(db, .greaterThanOrEqual(50), forward: forward, limit: 4, start: start)
                #expect(page.count == page.items.count && page.scannedCount == page.count)
                seen += ats(page)
                start = page.lastEvaluatedKey
                pages += 1
            } while start != nil
            let expected = (5..<20).map { Int64($0 * 10) }
            #expect(seen == (forward ? expected : expected.reversed()))
            // 15 items at 4 per page: 4 pages, the last one short and without a key.
            #expect(pages == 4)
        }
        // A page that ends exactly at Limit still returns a key, as DynamoDB does.
        let exact = try await query(db, .greaterThanOrEqual(160), limit: 4)
        #expect(exact.count == 4 && exact.lastEvaluatedKey == ["user": "u1", "at": 190])
        let after = try await query(db, .greaterThanOrEqual(160), limit: 4, start: exact.lastEvaluatedKey)
        #expect(after.count == 0 && after.lastEvaluatedKey == nil)
    }

    @Test func selectCount() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let counted = try await query(db, .lessThan(100), select: .count)
        #expect(counted.count == 10 && counted.scannedCount == 10 && counted.items.isEmpty)
    }

    @Test func oneMegabytePages() async throws {
        let (db, dir) = try makeDatabase()
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Big", partitionKey: ("p", .s), sortKey: ("s", .n)))
        let payload = String(repeating: "x", count: 100_000)
        for i in 0..<25 { try await db.table("Big").put(["p": "a", "s": .n(Number(i)), "data": .s(payload)]) }
        var start: Item?
        var counts: [Int] = []
        repeat {
            let page = try await db.query(QueryRequest(tableName: "Big", keyCondition: KeyCondition(partitionKeyName: "p", partitionKeyValue: "a"), exclusiveStartKey: start))
            counts.append(page.count)
            start = page.lastEvaluatedKey
        } while start != nil
        // Each item is 100,010 bytes: ten fit under 1 MB.
        #expect(counts == [10, 10, 5])
    }

    @Test func stringAndBinarySortKeysIncludingLongOnes() async throws {
        let (db, dir) = try makeDatabase()
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Docs", partitionKey: ("p", .s), sortKey: ("s", .s)))
        var g = SeededGenerator(seed: 21)
        let stem = String(repeating: "m", count: 400)
        var keys = Set<String>()
        // Short keys, long keys sharing a 400-character stem (one prefix run), and long keys elsewhere.
        while keys.count < 120 {
            switch Int.random(in: 0..<3, using: &g) {
            case 0: keys.insert(Generate.string(&g, maxLength: 8).replacingOccurrences(of: "\u{0}", with: "0") + "k")
            case 1: keys.insert(stem + String(Int.random(in: 0..<100_000, using: &g)))
            default: keys.insert(String(repeating: "z", count: Int.random(in: 340...360, using: &g)) + String(Int.random(in: 0..<1000, using: &g)))
            }
        }
        for key in keys { try await db.table("Docs").put(["p": "a", "s": .s(key)]) }
        let ordered = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let condition = KeyCondition(partitionKeyName: "p", partitionKeyValue: "a")
        for forward in [true, false] {
            var seen: [String] = []
            var start: Item?
            repeat {
                let page = try await db.query(QueryRequest(tableName: "Docs", keyCondition: condition, scanIndexForward: forward, limit: 7, exclusiveStartKey: start))
                seen += page.items.compactMap { $0["s"]?.stringValue }
                start = page.lastEvaluatedKey
            } while start != nil
            #expect(seen == (forward ? ordered : ordered.reversed()))
        }
        var withPrefix = condition
        withPrefix.sortKey = SortKeyCondition(name: "s", .beginsWith(.s(stem + "5")))
        let prefixed = try await db.query(QueryRequest(tableName: "Docs", keyCondition: withPrefix))
        #expect(prefixed.items.compactMap { $0["s"]?.stringValue } == ordered.filter { $0.hasPrefix(stem + "5") })
        let pivot = ordered[60]
        var greater = condition
        greater.sortKey = SortKeyCondition(name: "s", .greaterThan(.s(pivot)))
        #expect(try await db.query(QueryRequest(tableName: "Docs", keyCondition: greater)).items.compactMap { $0["s"]?.stringValue } == Array(ordered[61...]))
        var atMost = condition
        atMost.sortKey = SortKeyCondition(name: "s", .lessThanOrEqual(.s(pivot)))
        #expect(try await db.query(QueryRequest(tableName: "Docs", keyCondition: atMost, scanIndexForward: false)).items.compactMap { $0["s"]?.stringValue } == Array(ordered[...60].reversed()))
    }

    @Test func queryValidation() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        await expectError(.validation, "Query condition missed key schema element: user") {
            _ = try await db.query(QueryRequest(tableName: "Events", keyCondition: KeyCondition(partitionKeyName: "at", partitionKeyValue: 1)))
        }
        await expectError(.validation, "One or more parameter values were invalid: Condition parameter type does not match schema type") {
            _ = try await db.query(QueryRequest(tableName: "Events", keyCondition: KeyCondition(partitionKeyName: "user", partitionKeyValue: 1)))
        }
        await expectError(.validation, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N") {
            _ = try await query(db, .beginsWith(1))
        }
        await expectError(.validation, "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N: 5}, upper bound operand: AttributeValue: {N: 1}") {
            _ = try await query(db, .between(5, 1))
        }
        await expectError(.validation, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1") {
            _ = try await query(db, nil, limit: 0)
        }
        await expectError(.validation, "The provided starting key is invalid: The provided key element does not match the schema") {
            _ = try await query(db, nil, start: ["user": "u1"])
        }
        await expectError(.validation, "The provided starting key does not match the hash key value") {
            _ = try await query(db, nil, start: ["user": "u2", "at": -5])
        }
        await expectError(.validation, "The provided starting key is outside query boundaries based on provided conditions") {
            _ = try await query(db, .greaterThan(100), start: ["user": "u1", "at": 50])
        }
        await expectError(.validation, "1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3") {
            _ = try await db.getItem(GetItemRequest(tableName: "x", key: ["user": "u1", "at": 1]))
        }
    }
}
