import Foundation
import Testing
@testable import Shoal

/// `ReturnConsumedCapacity: INDEXES` (per-index units by DynamoDB's rules) and
/// `ReturnItemCollectionMetrics: SIZE` on tables with local secondary indexes.
@Suite struct IndexCapacityTests {
    /// A table with an ALL global index on `g` and a KEYS_ONLY local index on `l`.
    static func request(_ name: String) -> CreateTableRequest {
        var request = CreateTableRequest(tableName: name, partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions += [AttributeDefinition(attributeName: "g", attributeType: .s),
                                         AttributeDefinition(attributeName: "l", attributeType: .s)]
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byG", partitionKey: "g")]
        request.localSecondaryIndexes = [LocalSecondaryIndex(indexName: "byL", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash),
                                                                                          KeySchemaElement(attributeName: "l", keyType: .range)],
                                                             projection: .keysOnly)]
        return request
    }

    @Test func writesReportEachIndexsUnits() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexCapacityTests.request("Cap"))
        let big = AttributeValue.s(String(repeating: "b", count: 2500))
        // A new item in both indexes: one write each; the 2.5 KB item costs 3 units in the table and
        // in the ALL index, the KEYS_ONLY entry 1.
        let put = try await db.putItem(PutItemRequest(tableName: "Cap", item: ["pk": "p", "sk": 1, "g": "g1", "l": "l1", "big": big]))
        #expect(put.capacity == ConsumedCapacity(table: 3, globalSecondaryIndexes: ["byG": 3], localSecondaryIndexes: ["byL": 1]))
        #expect(put.consumedCapacity == 7)

        func update(_ expression: String, _ values: [String: AttributeValue]) async throws -> ConsumedCapacity {
            try await db.updateItem(UpdateItemRequest(tableName: "Cap", key: ["pk": "p", "sk": 1], updateExpression: expression,
                                                      expressionAttributeValues: values.isEmpty ? nil : values)).capacity
        }
        // A non-key attribute changes: the ALL index rewrites its entry, the KEYS_ONLY one holds nothing that changed.
        #expect(try await update("SET n = :n", [":n": 1]) == ConsumedCapacity(table: 3, globalSecondaryIndexes: ["byG": 3]))
        // Nothing changes: no index write.
        #expect(try await update("SET n = :n", [":n": 1]) == ConsumedCapacity(table: 3))
        // The global index key moves: delete and put (two writes); the local entry stays.
        #expect(try await update("SET g = :g REMOVE big", [":g": "g2"]) == ConsumedCapacity(table: 3, globalSecondaryIndexes: ["byG": 4]))
        // The local key moves: two writes there; the small ALL entry is rewritten once.
        #expect(try await update("SET l = :l", [":l": "l2"]) == ConsumedCapacity(table: 1, globalSecondaryIndexes: ["byG": 1], localSecondaryIndexes: ["byL": 2]))
        // The global key goes away: one write deletes the entry.
        #expect(try await update("REMOVE g", [:]) == ConsumedCapacity(table: 1, globalSecondaryIndexes: ["byG": 1], localSecondaryIndexes: [:]))
        // A delete removes what is indexed: the local entry only.
        let deleted = try await db.deleteItem(DeleteItemRequest(tableName: "Cap", key: ["pk": "p", "sk": 1]))
        #expect(deleted.capacity == ConsumedCapacity(table: 1, localSecondaryIndexes: ["byL": 1]))
        // Deleting it again touches nothing but the table.
        #expect(try await db.deleteItem(DeleteItemRequest(tableName: "Cap", key: ["pk": "p", "sk": 1])).capacity == ConsumedCapacity(table: 1))

        // BatchWriteItem adds up per table.
        let batch = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Cap": [
            .put(["pk": "p", "sk": 2, "g": "x"]), .put(["pk": "p", "sk": 3, "g": "x", "l": "y"]), .put(["pk": "q", "sk": 1]),
        ]]))
        #expect(batch.capacity["Cap"] == ConsumedCapacity(table: 3, globalSecondaryIndexes: ["byG": 2], localSecondaryIndexes: ["byL": 1]))
        #expect(batch.consumedCapacity["Cap"] == 6)
    }

    @Test func indexReadsChargeTheIndexAndFetchesTheTable() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexCapacityTests.request("Cap"))
        for sk in 0..<3 {
            _ = try await db.putItem(PutItemRequest(tableName: "Cap", item: ["pk": "p", "sk": .n(Number(sk)), "g": "g", "l": .s("l\(sk)"),
                                                                               "big": .s(String(repeating: "b", count: 3000))]))
        }
        let global = try await db.query(QueryRequest(tableName: "Cap", keyConditionExpression: "g = :g", expressionAttributeValues: [":g": "g"], indexName: "byG"))
        // Three ~3 KB entries: 9 KB, 3 units of 4 KB, halved (eventually consistent).
        #expect(global.capacity == ConsumedCapacity(globalSecondaryIndexes: ["byG": 1.5]))
        let keysOnly = try await db.query(QueryRequest(tableName: "Cap", keyConditionExpression: "pk = :p", expressionAttributeValues: [":p": "p"], indexName: "byL"))
        #expect(keysOnly.capacity == ConsumedCapacity(localSecondaryIndexes: ["byL": 0.5]))
        // Asking a KEYS_ONLY local index for everything fetches the items from the table, which is charged too.
        let fetched = try await db.query(QueryRequest(tableName: "Cap", keyConditionExpression: "pk = :p", expressionAttributeValues: [":p": "p"],
                                                      select: .allAttributes, consistentRead: true, indexName: "byL"))
        #expect(fetched.count == 3)
        #expect(fetched.capacity == ConsumedCapacity(table: 3, localSecondaryIndexes: ["byL": 1]))
        let scan = try await db.scan(ScanRequest(tableName: "Cap", indexName: "byG"))
        #expect(scan.capacity == ConsumedCapacity(globalSecondaryIndexes: ["byG": 1.5]))
        // Reads of the table itself charge the table alone.
        let table = try await db.query(QueryRequest(tableName: "Cap", keyConditionExpression: "pk = :p", expressionAttributeValues: [":p": "p"]))
        #expect(table.capacity == ConsumedCapacity(table: 1.5))
    }

    @Test func itemCollectionMetricsOnTablesWithLocalIndexes() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexCapacityTests.request("Col"))
        _ = try await db.createTable(CreateTableRequest(tableName: "Plain", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        var put = PutItemRequest(tableName: "Col", item: ["pk": "p", "sk": 1, "l": "x"])
        put.returnItemCollectionMetrics = .size
        let metrics = try await db.putItem(put).itemCollectionMetrics
        #expect(metrics == ItemCollectionMetrics(itemCollectionKey: ["pk": "p"], sizeEstimateRangeGB: [0, 1]))
        // Only when asked, and only for tables with local indexes.
        #expect(try await db.putItem(PutItemRequest(tableName: "Col", item: ["pk": "p", "sk": 2])).itemCollectionMetrics == nil)
        put.tableName = "Plain"
        #expect(try await db.putItem(put).itemCollectionMetrics == nil)

        var update = UpdateItemRequest(tableName: "Col", key: ["pk": "q", "sk": 1], updateExpression: "SET a = :a", expressionAttributeValues: [":a": 1])
        update.returnItemCollectionMetrics = .size
        #expect(try await db.updateItem(update).itemCollectionMetrics?.itemCollectionKey == ["pk": "q"])
        var delete = DeleteItemRequest(tableName: "Col", key: ["pk": "q", "sk": 1])
        delete.returnItemCollectionMetrics = .size
        #expect(try await db.deleteItem(delete).itemCollectionMetrics == ItemCollectionMetrics(itemCollectionKey: ["pk": "q"], sizeEstimateRangeGB: [0, 1]))

        var batch = BatchWriteItemRequest(requestItems: ["Col": [.put(["pk": "a", "sk": 1]), .put(["pk": "a", "sk": 2]), .put(["pk": "b", "sk": 1])],
                                                         "Plain": [.put(["pk": "a", "sk": 1])]])
        batch.returnItemCollectionMetrics = .size
        let written = try await db.batchWriteItem(batch).itemCollectionMetrics
        #expect(Set(written.keys) == ["Col"])
        #expect(Set(written["Col"]!.map { $0.itemCollectionKey["pk"]! }) == ["a", "b"])
    }

    /// The collection size counts the items and their local index entries (an estimate in GB,
    /// so checked here through the engine's byte count).
    @Test func collectionSizeCountsItemsAndLocalEntries() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexCapacityTests.request("Col"))
        let items: [Item] = [["pk": "p", "sk": 1, "l": "x", "v": "hello"], ["pk": "p", "sk": 2], ["pk": "other", "sk": 1, "l": "y"]]
        for item in items { _ = try await db.putItem(PutItemRequest(tableName: "Col", item: item)) }
        let handle = try db.handle("Col")
        let rules = handle.indexRules.first { !$0.definition.isGlobal }!
        let first = ItemValidation.size(of: items[0])
        let expected = first + ItemValidation.size(of: items[1]) + rules.entrySize(of: items[0], itemSize: first)
        #expect(try db.itemCollectionBytes(handle, partition: "p") == expected)
    }
}
