import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Shoal
import ShoalTesting

@Suite struct ShoalTestingTests {
    /// One DynamoDB call over HTTP, as an SDK makes it. - Returns: the status and the JSON answer.
    static func call(_ endpoint: String, _ operation: String, _ body: [String: Any]) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: endpoint + "/")!)
        request.httpMethod = "POST"
        request.setValue("application/x-amz-json-1.0", forHTTPHeaderField: "Content-Type")
        request.setValue("DynamoDB_20120810." + operation, forHTTPHeaderField: "X-Amz-Target")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    @Test func aServerOverAnInMemoryDatabaseForOneTest() async throws {
        let (folder, endpoint) = try await withShoalServer { server in
            #expect(server.database.isInMemory && server.port > 0)
            let (created, _) = try await ShoalTestingTests.call(server.endpoint, "CreateTable", [
                "TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [["AttributeName": "id", "KeyType": "HASH"]],
                "AttributeDefinitions": [["AttributeName": "id", "AttributeType": "S"]],
            ])
            #expect(created == 200)
            let (put, _) = try await ShoalTestingTests.call(server.endpoint, "PutItem", ["TableName": "Orders", "Item": ["id": ["S": "o1"], "n": ["N": "2"]]])
            #expect(put == 200)
            // The test checks what the code under test wrote, through the same database.
            #expect(try await server.database.table("Orders").get(["id": "o1"])?["n"] == .n(2))
            try await server.database.table("Orders").put(["id": "o2"])
            let (_, got) = try await ShoalTestingTests.call(server.endpoint, "GetItem", ["TableName": "Orders", "Key": ["id": ["S": "o2"]]])
            #expect((got["Item"] as? [String: Any])?["id"] != nil)
            return ((server.database.path as NSString).deletingLastPathComponent, server.endpoint)
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
        await #expect(throws: (any Error).self) { _ = try await ShoalTestingTests.call(endpoint, "ListTables", [:]) }
    }

    @Test func theServerStopsWhenTheTestThrows() async throws {
        struct Expected: Error {}
        var folder = ""
        await #expect(throws: Expected.self) {
            try await withShoalServer { server in
                folder = (server.database.path as NSString).deletingLastPathComponent
                throw Expected()
            }
        }
        #expect(!folder.isEmpty && !FileManager.default.fileExists(atPath: folder))
    }

    /// Rollback per test: the data a test wrote is gone for the next, through HTTP and the
    /// embedded API alike, and the in-memory folder still goes at the end.
    @Test func rollBackAfterEachTest() async throws {
        let folder = try await withShoalServer { server in
            _ = try await server.database.createTable(CreateTableRequest(tableName: "Orders", partitionKey: ("id", .s)))
            try await server.database.table("Orders").put(["id": "seed"])
            try await server.snapshot("base")
            for test in 0..<5 {
                let (put, _) = try await ShoalTestingTests.call(server.endpoint, "PutItem", ["TableName": "Orders", "Item": ["id": ["S": "t\(test)"]]])
                #expect(put == 200)
                let (_, scanned) = try await ShoalTestingTests.call(server.endpoint, "Scan", ["TableName": "Orders", "Select": "COUNT"])
                #expect(scanned["Count"] as? Int == 2)
                try await server.rollBack(to: "base")
                #expect(try await server.database.table("Orders").scan().map { $0["id"] } == [.s("seed")])
            }
            try await server.reset()
            #expect(try server.database.listTables().tableNames.isEmpty)
            return (server.database.path as NSString).deletingLastPathComponent
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
