import Foundation
import Testing
@testable import Shoal

@Suite struct ContributorInsightsTests {
    /// Space-Saving's guarantees on a skewed stream far larger than its counters: every key seen
    /// more than total/capacity times is kept, its count is never under the truth and at most its
    /// error over it, and memory stays at `capacity` counters.
    @Test func spaceSavingFindsTheHeavyHittersWithinItsBound() {
        var generator = SeededGenerator(seed: 42)
        var sketch = SpaceSaving<Int>(capacity: 64)
        var truth: [Int: Int] = [:]
        for _ in 0..<50_000 {
            // 40 % of the traffic on 5 hot keys, the rest spread over 20,000 keys.
            let key = generator.next() % 10 < 4 ? Int(generator.next() % 5) : 1_000 + Int(generator.next() % 20_000)
            sketch.add(key)
            truth[key, default: 0] += 1
        }
        #expect(sketch.counters.count == 64 && sketch.total == 50_000)
        let top = sketch.top(5)
        #expect(Set(top.map(\.key)) == Set(0..<5))
        for entry in sketch.top(64) {
            let real = truth[entry.key] ?? 0
            #expect(entry.count >= real && entry.count - entry.error <= real)
        }
        for (key, count) in truth where count > 50_000 / 64 {
            #expect(sketch.counters[key] != nil)
        }
    }

    @Test func tablesAndIndexesRecordAndReport() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { db.close(); _ = dir }
        var request = CreateTableRequest(tableName: "Hits", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byG", partitionKey: "g")]
        _ = try await db.createTable(request)
        #expect(try db.describeContributorInsights(tableName: "Hits").status == .disabled)
        db.recordContributors(tableName: "Hits", items: [["pk": "ignored", "sk": 1]])
        let update = try db.updateContributorInsights(tableName: "Hits", enable: true)
        #expect(update.status == .enabling && update.mode == .accessedAndThrottledKeys)
        let described = try db.describeContributorInsights(tableName: "Hits")
        #expect(described.status == .enabled && described.ruleList.count == 4)
        #expect(described.ruleList[0].hasPrefix("DynamoDBContributorInsights-PKC-Hits-"))
        db.recordContributors(tableName: "Hits", items: Array(repeating: ["pk": "a", "sk": 1], count: 5) + [["pk": "b", "sk": 2], ["pk": "a", "sk": 2]])
        db.recordContributors(tableName: "Hits", items: [["pk": "b", "sk": 2]], throttled: true)
        db.recordContributors(tableName: "Hits", items: [["sk": 3]])
        #expect(try db.contributors(tableName: "Hits", rule: .accessedPartitions) == [
            Contributor(keys: ["a"], count: 6, error: 0), Contributor(keys: ["b"], count: 2, error: 0)])
        #expect(try db.contributors(tableName: "Hits", rule: .accessedItems, limit: 1) == [Contributor(keys: ["a", 1], count: 5, error: 0)])
        #expect(try db.contributors(tableName: "Hits", rule: .throttledItems) == [Contributor(keys: ["b", 2], count: 1, error: 0)])
        await expectError(.resourceNotFound, "Requested resource not found: Index: nope not found") {
            _ = try db.updateContributorInsights(tableName: "Hits", indexName: "nope", enable: true)
        }
        _ = try db.updateContributorInsights(tableName: "Hits", indexName: "byG", enable: true, mode: .throttledKeys)
        db.recordContributors(tableName: "Hits", indexName: "byG", items: [["g": "x", "pk": "a", "sk": 1]])
        #expect(try db.contributors(tableName: "Hits", indexName: "byG", rule: .accessedPartitions).isEmpty)
        db.recordContributors(tableName: "Hits", indexName: "byG", items: [["g": "x", "pk": "a", "sk": 1]], throttled: true)
        #expect(try db.contributors(tableName: "Hits", indexName: "byG", rule: .throttledPartitions) == [Contributor(keys: ["x"], count: 1, error: 0)])
        #expect(try db.listContributorInsights().map(\.indexName) == [nil, "byG"])
        _ = try db.updateContributorInsights(tableName: "Hits", enable: false)
        #expect(try db.contributors(tableName: "Hits", rule: .accessedPartitions).isEmpty)
        #expect(try db.listContributorInsights(tableName: "Hits").map(\.indexName) == ["byG"])
    }
}
