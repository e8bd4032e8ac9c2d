import Testing
@testable import Shoal

@Suite struct ItemTests {
    private func setUp() async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase()
        _ = try await db.createTable(CreateTableRequest(tableName: "Items", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        _ = try await db.createTable(CreateTableRequest(tableName: "Blobs", partitionKey: ("id", .b)))
        return (db, dir)
    }

    @Test func putGetDeleteWithReturnValues() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let first: Item = ["pk": "a", "sk": 1, "v": .s("one")]
        let put1 = try await db.putItem(PutItemRequest(tableName: "Items", item: first, returnValues: .allOld))
        #expect(put1.attributes == nil)
        let second: Item = ["pk": "a", "sk": 1, "v": .s("two"), "extra": .bool(true)]
        let put2 = try await db.putItem(PutItemRequest(tableName: "Items", item: second, returnValues: .allOld))
        #expect(put2.attributes == first)
        #expect(try await db.getItem(GetItemRequest(tableName: "Items", key: ["pk": "a", "sk": 1])).item == second)
        // 1 and 1.0 are the same number, so the same key.
        #expect(try await db.getItem(GetItemRequest(tableName: "Items", key: ["pk": "a", "sk": .n(try Number("1.0"))])).item == second)
        #expect(try await db.getItem(GetItemRequest(tableName: "Items", key: ["pk": "a", "sk": 2])).item == nil)
        let deleted = try await db.deleteItem(DeleteItemRequest(tableName: "Items", key: ["pk": "a", "sk": 1], returnValues: .allOld))
        #expect(deleted.attributes == second)
        let again = try await db.deleteItem(DeleteItemRequest(tableName: "Items", key: ["pk": "a", "sk": 1], returnValues: .allOld))
        #expect(again.attributes == nil)
        #expect(try await db.getItem(GetItemRequest(tableName: "Items", key: ["pk": "a", "sk": 1])).item == nil)
        #expect(try db.describeTable("Items").table.tableSizeBytes == 0)
    }

    @Test func binaryKeysAndEveryValueType() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let item: Item = [
            "id": .b([0, 1, 2, 255]), "s": "text", "n": .n(try Number("-0.000123")), "b": .b([9]), "t": true, "z": .null,
            "ss": .ss(["x", "y"]), "ns": .ns([1, 2, 3]), "bs": .bs([[1], [2]]), "l": .l([.s("a"), .l([.n(1)])]),
            "m": .m(["k": .m(["deep": .bool(false)])]),
        ]
        try await db.table("Blobs").put(item)
        #expect(try await db.table("Blobs").get(["id": .b([0, 1, 2, 255])]) == item)
    }

    @Test func longKeysUpToDynamoDBLimits() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let pk = String(repeating: "k", count: 2048)
        let sk = AttributeValue.n(try Number("-1234567890123456789012345678901234567.8"))
        try await db.table("Items").put(["pk": .s(pk), "sk": sk, "v": 1])
        #expect(try await db.table("Items").get(["pk": .s(pk), "sk": sk])?["v"] == 1)
        let blob = [UInt8](repeating: 0xAB, count: 2048)
        try await db.table("Blobs").put(["id": .b(blob)])
        #expect(try await db.table("Blobs").get(["id": .b(blob)]) == ["id": .b(blob)])
        // Another long key that shares the first bytes is a different item.
        var other = blob
        other[2047] = 0
        #expect(try await db.table("Blobs").get(["id": .b(other)]) == nil)
        await expectError(.validation, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes") {
            try await db.table("Items").put(["pk": .s(pk + "k"), "sk": 1])
        }
    }

    @Test(arguments: [
        (["sk": AttributeValue.n(1)], "One or more parameter values were invalid: Missing the key pk in the item"),
        (["pk": .n(1), "sk": .n(1)], "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        (["pk": .s("a"), "sk": .s("1")], "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"),
        (["pk": .s(""), "sk": .n(1)], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
        (["pk": .s("a"), "sk": .n(1), "set": .ss([])], "One or more parameter values were invalid: An string set  may not be empty"),
        (["pk": .s("a"), "sk": .n(1), "set": .ss(["x", "x"])], "One or more parameter values were invalid: Input collection [x, x] contains duplicates."),
        (["pk": .s("a"), "sk": .n(1), "set": .ns([Number(1), Number(1)])], "One or more parameter values were invalid: Input collection [1, 1] contains duplicates."),
        (["pk": .s("a"), "sk": .n(1), "big": .s(String(repeating: "x", count: 400 * 1024))], "Item size has exceeded the maximum allowed size"),
    ] as [(Item, String)])
    func putValidation(item: Item, message: String) async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        await expectError(.validation, message) {
            _ = try await db.putItem(PutItemRequest(tableName: "Items", item: item))
        }
        #expect(try db.describeTable("Items").table.itemCount == 0)
    }

    @Test func nestingLimit() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        var deep = AttributeValue.s("leaf")
        for _ in 0..<32 { deep = .l([deep]) }
        try await db.table("Items").put(["pk": "a", "sk": 1, "deep": deep])
        await expectError(.validation, ItemValidation.nestingMessage) {
            try await db.table("Items").put(["pk": "a", "sk": 2, "deep": .l([deep])])
        }
    }

    @Test func itemSizeLimitIsExact() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        // "pk"(2)+"a"(1) + "sk"(2)+1(2) + "x"(1) + payload = 400 KB exactly.
        let payload = 400 * 1024 - 8
        try await db.table("Items").put(["pk": "a", "sk": 1, "x": .s(String(repeating: "y", count: payload))])
        await expectError(.validation, "Item size has exceeded the maximum allowed size") {
            try await db.table("Items").put(["pk": "a", "sk": 1, "x": .s(String(repeating: "y", count: payload + 1))])
        }
    }

    @Test func keyValidationOnReads() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let mismatch = "The provided key element does not match the schema"
        for key: Item in [["pk": "a"], ["pk": "a", "sk": 1, "x": 1], ["pk": "a", "sk": "1"], ["sk": 1, "other": "a"]] {
            await expectError(.validation, mismatch) {
                _ = try await db.getItem(GetItemRequest(tableName: "Items", key: key))
            }
            await expectError(.validation, mismatch) {
                _ = try await db.deleteItem(DeleteItemRequest(tableName: "Items", key: key))
            }
        }
        await expectError(.validation, "ReturnValues can only be ALL_OLD or NONE") {
            _ = try await db.putItem(PutItemRequest(tableName: "Items", item: ["pk": "a", "sk": 1], returnValues: .allNew))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.putItem(PutItemRequest(tableName: "Missing", item: ["pk": "a"]))
        }
    }
}
