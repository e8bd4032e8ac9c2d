import Foundation
import Testing
import Shoal

// This is the example of docs/embedded.md (and, in part, the README's tour), kept compiling and
// passing so it cannot rot. If you change one, change the other.

struct User: Codable, Equatable {
    var id: String
    var name: String
    var visits: Int
}

@Test func readmeEmbeddedExample() async throws {
    let path = NSTemporaryDirectory() + "shoal-readme-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: path) }

    // --- README example begins ---
    let db = try Database.open(at: path)                 // creates the directory, 4 shards, durable commits
    _ = try await db.createTable(CreateTableRequest(
        tableName: "Orders", partitionKey: ("customer", .s), sortKey: ("placed", .n)))

    let orders = db.table("Orders")
    try await orders.put(["customer": "ada", "placed": 20240105, "total": .n(try Number("19.99"))])
    try await orders.put(["customer": "ada", "placed": 20240312, "total": 5])
    try await orders.put(["customer": "bob", "placed": 20240101, "total": 7])

    let order = try await orders.get(["customer": "ada", "placed": 20240105])
    print(order?["total"] ?? "none")                         // {N: 19.99}

    let recent = try await orders.query("ada", where: .greaterThan(20240201))
    print(recent.count)                                      // 1

    _ = try await db.createTable(CreateTableRequest(tableName: "Users", partitionKey: ("id", .s)))
    try await db.table("Users").put(User(id: "u1", name: "Ada", visits: 3))
    let ada = try await db.table("Users").get(User.self, key: ["id": "u1"])
    // --- README example ends ---

    #expect(order?["total"] == .n(try Number("19.99")))
    #expect(recent == [["customer": "ada", "placed": 20240312, "total": 5]])
    #expect(ada == User(id: "u1", name: "Ada", visits: 3))
}

// The README's transaction example, kept compiling and passing.
@Test func readmeTransactionExample() async throws {
    let path = NSTemporaryDirectory() + "shoal-readme-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: path) }
    let db = try Database.open(at: path, options: DatabaseOptions(durability: .noSync))
    defer { db.close() }
    _ = try await db.createTable(CreateTableRequest(tableName: "Accounts", partitionKey: ("id", .s)))
    _ = try await db.createTable(CreateTableRequest(tableName: "Transfers", partitionKey: ("id", .s)))
    try await db.table("Accounts").put(["id": "a", "balance": 25])

    // --- README example begins ---
    try await db.transactWrite { tx in
        tx.update(db.table("Accounts"), key: ["id": "a"], .add("balance", -10), condition: DocumentPath("balance") >= 10)
        tx.update(db.table("Accounts"), key: ["id": "b"], .add("balance", 10))
        tx.put(db.table("Transfers"), ["id": "t1", "amount": 10])
    }
    let both = try await db.transactGet([TransactGetRequest(tableName: "Accounts", key: ["id": "a"]),
                                         TransactGetRequest(tableName: "Accounts", key: ["id": "b"])])
    // --- README example ends ---

    #expect(both == [["id": "a", "balance": 15], ["id": "b", "balance": 10]])
    #expect(try await db.table("Transfers").get(["id": "t1"]) == ["id": "t1", "amount": 10])
}
