import Foundation
import Testing
@testable import Shoal

struct Profile: Codable, Equatable {
    struct Address: Codable, Equatable {
        var city: String
        var zip: String?
    }

    var id: String
    var age: Int
    var score: Double
    var active: Bool
    var tags: Set<String>
    var lucky: Set<Int>
    var history: [Int64]
    var avatar: Data
    var joined: Date
    var address: Address
    var nickname: String?
    var balance: Number
    var extra: [String: String]
}

@Suite struct CodableTests {
    private let sample = Profile(
        id: "u1", age: 36, score: 0.1, active: true, tags: ["a", "b"], lucky: [7, 13], history: [1, -2, 3],
        avatar: Data([1, 2, 3]), joined: Date(timeIntervalSince1970: 1_700_000_000.25), address: .init(city: "Oslo", zip: nil),
        nickname: nil, balance: try! Number("12345678901234567890.123456789"), extra: ["k": "v"])

    @Test func encodesToDynamoDBTypes() throws {
        let item = try ItemEncoder().encode(sample)
        #expect(item["id"] == .s("u1"))
        #expect(item["age"] == .n(36))
        #expect(item["score"] == .n(try Number("0.1")))
        #expect(item["active"] == .bool(true))
        #expect(item["tags"] == .ss(["b", "a"]))
        #expect(item["lucky"] == .ns([13, 7]))
        #expect(item["history"] == .l([.n(1), .n(-2), .n(3)]))
        #expect(item["avatar"] == .b([1, 2, 3]))
        #expect(item["joined"] == .s("2023-11-14T22:13:20.250Z"))
        #expect(item["address"] == .m(["city": "Oslo"]))
        #expect(item["nickname"] == nil)
        #expect(item["balance"] == .n(try Number("12345678901234567890.123456789")))
        #expect(item["extra"] == .m(["k": "v"]))
    }

    @Test func roundTripsThroughTheDatabase() async throws {
        let (db, dir) = try makeDatabase()
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Profiles", partitionKey: ("id", .s)))
        let profiles = db.table("Profiles")
        try await profiles.put(sample)
        let loaded = try await profiles.get(Profile.self, key: ["id": "u1"])
        #expect(loaded == sample)
        #expect(try await profiles.get(Profile.self, key: ["id": "nobody"]) == nil)
    }

    @Test func decodingErrorsAreReported() throws {
        struct Small: Codable { var n: Int8 }
        #expect(throws: DecodingError.self) { try ItemDecoder().decode(Small.self, from: ["n": 300]) }
        #expect(throws: DecodingError.self) { try ItemDecoder().decode(Small.self, from: ["n": "text"]) }
        #expect(throws: DecodingError.self) { try ItemDecoder().decode(Small.self, from: [:]) }
        #expect(throws: EncodingError.self) { try ItemEncoder().encode([1, 2, 3]) }
        struct Bad: Codable { var x: Double }
        #expect(throws: EncodingError.self) { try ItemEncoder().encode(Bad(x: .infinity)) }
    }
}
