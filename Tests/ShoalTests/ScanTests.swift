import Testing
@testable import Shoal

@Suite struct ScanTests {
    private func setUp(items: Int) async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase()
        _ = try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("p", .s), sortKey: ("s", .n)))
        var batch: [WriteRequest] = []
        for i in 0..<items {
            batch.append(.put(["p": .s("p\(i % 37)"), "s": .n(Number(i)), "v": .n(Number(i))]))
            if batch.count == 25 {
                _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Tbl": batch]))
                batch = []
            }
        }
        if !batch.isEmpty { _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Tbl": batch])) }
        return (db, dir)
    }

    private func values(_ items: [Item]) -> [Int64] { items.compactMap { $0["v"]?.numberValue?.int64Value } }

    @Test func pagedScanSeesEveryItemOnceInTokenOrder() async throws {
        let (db, dir) = try await setUp(items: 500)
        defer { withExtendedLifetime(dir) {} }
        var all: [Item] = []
        var start: Item?
        repeat {
            let page = try await db.scan(ScanRequest(tableName: "Tbl", limit: 33, exclusiveStartKey: start))
            #expect(page.count <= 33 && page.scannedCount == page.count)
            all += page.items.dictionaries
            start = page.lastEvaluatedKey
        } while start != nil
        #expect(values(all).sorted() == (0..<500).map(Int64.init))
        // Token order: partitions by their documented token (xxHash64 of the key's UTF-8 bytes
        // seeded with the S type tag, 1), each partition in sort-key order.
        let order = all.map { item -> (UInt64, Int64) in
            (XXHash64.hash(Array(item["p"]!.stringValue!.utf8), seed: 1), item["s"]!.numberValue!.int64Value!)
        }
        #expect(order.map(\.0) == order.map(\.0).sorted())
        for (a, b) in zip(order, order.dropFirst()) where a.0 == b.0 { #expect(a.1 < b.1) }
        #expect(Set(order.map(\.0)).count == 37)
        let unpaged = try await db.scan(ScanRequest(tableName: "Tbl"))
        #expect(unpaged.items == all && unpaged.lastEvaluatedKey == nil)
        let counted = try await db.scan(ScanRequest(tableName: "Tbl", select: .count))
        #expect(counted.count == 500 && counted.items.isEmpty)
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func parallelSegmentsPartitionTheTable(total: Int) async throws {
        let (db, dir) = try await setUp(items: 300)
        defer { withExtendedLifetime(dir) {} }
        var seen: [Int64] = []
        for segment in 0..<total {
            var start: Item?
            repeat {
                let page = try await db.scan(ScanRequest(tableName: "Tbl", limit: 10, exclusiveStartKey: start, segment: segment, totalSegments: total))
                seen += values(page.items.dictionaries)
                start = page.lastEvaluatedKey
            } while start != nil
        }
        #expect(seen.sorted() == (0..<300).map(Int64.init))
    }

    @Test func scanValidation() async throws {
        let (db, dir) = try await setUp(items: 3)
        defer { withExtendedLifetime(dir) {} }
        await expectError(.validation, "The TotalSegments parameter is required but was not present in the request when Segment parameter is present") {
            _ = try await db.scan(ScanRequest(tableName: "Tbl", segment: 0))
        }
        await expectError(.validation, "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2") {
            _ = try await db.scan(ScanRequest(tableName: "Tbl", segment: 2, totalSegments: 2))
        }
        await expectError(.validation, "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000") {
            _ = try await db.scan(ScanRequest(tableName: "Tbl", segment: 0, totalSegments: 1_000_001))
        }
        await expectError(.validation, "The provided starting key is invalid: The provided key element does not match the schema") {
            _ = try await db.scan(ScanRequest(tableName: "Tbl", exclusiveStartKey: ["p": "x"]))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.scan(ScanRequest(tableName: "Nope"))
        }
    }

    @Test func fullScanOfOneShard() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Solo", partitionKey: ("id", .n)))
        for i in 0..<40 { try await db.table("Solo").put(["id": .n(Number(i))]) }
        #expect(try await db.table("Solo").scan().count == 40)
    }
}
