import Foundation
import Testing
@testable import Shoal

/// DynamoDB compares strings by their UTF-8 bytes; Swift's `String` compares by canonical
/// equivalence. These pairs are canonically equivalent but different bytes.
private let composed = "\u{E9}"        // é, C3 A9
private let decomposed = "e\u{301}"    // e + combining acute, 65 CC 81

@Suite struct ByteExactStringTests {
    @Test func thePairIsEqualForSwiftButNotForShoal() {
        #expect(composed == decomposed)
        #expect(AttributeName(composed) != AttributeName(decomposed))
        #expect(AttributeValue.s(composed) != .s(decomposed))
        #expect(AttributeValue.ss([composed, decomposed]) != .ss([composed]))
        #expect(Set([AttributeValue.s(composed), .s(decomposed)]).count == 2)
        #expect(AttributeName(decomposed) < AttributeName(composed))
    }

    @Test func attributeNamesStayDistinctThroughStorage() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Names", partitionKey: ("id", .s)))
        let item: Item = ["id": "x", AttributeName(composed): 1, AttributeName(decomposed): 2, "m": .m([AttributeName(composed): "a", AttributeName(decomposed): "b"])]
        #expect(item.count == 4)
        try await db.table("Names").put(item)
        let stored = try #require(try await db.table("Names").get(["id": "x"]))
        #expect(stored == item)
        #expect(stored[composed] == 1)
        #expect(stored[decomposed] == 2)
        // A projection of one of them returns that one only.
        let projected = try await db.getItem(GetItemRequest(tableName: "Names", key: ["id": "x"], projectionExpression: "#n",
                                                            expressionAttributeNames: ["#n": decomposed]))
        #expect(projected.item == [AttributeName(decomposed): 2])
        // Legacy maps keep both names apart too: the first entry fails, the second alone holds.
        let both: [AttributeName: ExpectedAttributeValue] = [AttributeName(composed): ExpectedAttributeValue(exists: false),
                                                             AttributeName(decomposed): ExpectedAttributeValue(value: 2)]
        #expect(both.count == 2)
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.putItem(PutItemRequest(tableName: "Names", item: ["id": "x"], expected: both))
        }
        _ = try await db.putItem(PutItemRequest(tableName: "Names", item: ["id": "x"], expected: both, conditionalOperator: .or))
        #expect(try await db.table("Names").get(["id": "x"]) == ["id": "x"])
    }

    @Test func conditionsCompareBytes() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Values", partitionKey: ("id", .s)))
        // Both members are kept: they are no duplicates.
        try await db.table("Values").put(["id": "x", "s": .s(composed), "tags": .ss([composed, decomposed])])
        func holds(_ expression: String, _ value: AttributeValue) async throws -> Bool {
            do {
                _ = try await db.updateItem(UpdateItemRequest(tableName: "Values", key: ["id": "x"], updateExpression: "SET touched = :t",
                                                              conditionExpression: expression,
                                                              expressionAttributeValues: [":v": value, ":t": true]))
                return true
            } catch where error.kind == .conditionalCheckFailed {
                return false
            }
        }
        #expect(try await holds("s = :v", .s(composed)))
        #expect(try await !holds("s = :v", .s(decomposed)))
        #expect(try await holds("s <> :v", .s(decomposed)))
        #expect(try await holds("s > :v", .s(decomposed)))          // C3 > 65
        #expect(try await !holds("begins_with(s, :v)", .s("e")))
        #expect(try await holds("contains(tags, :v)", .s(decomposed)))
        #expect(try await holds("s IN (:v)", .s(composed)))
        #expect(try await !holds("s IN (:v)", .s(decomposed)))
        // DELETE removes exactly the member given.
        _ = try await db.updateItem(UpdateItemRequest(tableName: "Values", key: ["id": "x"], updateExpression: "DELETE tags :d",
                                                      expressionAttributeValues: [":d": .ss([decomposed])]))
        #expect(try await db.table("Values").get(["id": "x"])?["tags"] == .ss([composed]))
    }

    @Test func sortKeysOrderByBytes() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Sorted", partitionKey: ("p", .s), sortKey: ("s", .s)))
        for s in [composed, decomposed, "f", "e"] { try await db.table("Sorted").put(["p": "a", "s": .s(s)]) }
        let items = try await db.table("Sorted").query("a")
        #expect(items.map { $0["s"]!.stringValue!.utf8.map { $0 } } == [[0x65], [0x65, 0xCC, 0x81], [0x66], [0xC3, 0xA9]])
    }

    @Test func codableKeysStayDistinct() throws {
        struct Accents: Codable, Equatable {
            var composed: Int
            var decomposed: Int
            enum CodingKeys: String, CodingKey {
                case composed = "\u{E9}"
                case decomposed = "e\u{301}"
            }
        }
        let value = Accents(composed: 1, decomposed: 2)
        let item = try ItemEncoder().encode(value)
        #expect(item.count == 2)
        #expect(item[composed] == 1 && item[decomposed] == 2)
        #expect(try ItemDecoder().decode(Accents.self, from: item) == value)
    }
}
