import Testing
@testable import Shoal

/// Random operations against Shoal and against a plain in-memory model, then every kind of
/// Query (conditions, directions, limits, pagination) and Scan compared item for item.
@Suite struct ModelCheckTests {
    /// Sort keys that exercise the tricky cases: short ones, long ones sharing a 350+ byte
    /// prefix (stored truncated), and ones around that boundary.
    private func sortKey(_ g: inout SeededGenerator) -> String {
        let stem = String(repeating: "q", count: 348)
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return String(Int.random(in: 0..<50, using: &g))
        case 1: return stem + String(Int.random(in: 0..<200, using: &g))
        case 2: return stem + "qq" + String(repeating: "r", count: Int.random(in: 0...5, using: &g)) + String(Int.random(in: 0..<20, using: &g))
        default: return Generate.string(&g, maxLength: 3) + "k"
        }
    }

    private func utf8Less(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    @Test func queriesAndScansMatchAModel() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Model", partitionKey: ("p", .s), sortKey: ("s", .s)))
        var g = SeededGenerator(seed: 2024)
        var model: [String: [String: Int]] = [:]   // partition → sort key → value
        let partitions = ["a", "b", String(repeating: "long-partition-", count: 10)]
        for step in 0..<600 {
            let p = partitions.randomElement(using: &g)!
            let s = sortKey(&g)
            if Int.random(in: 0..<5, using: &g) == 0 {
                _ = try await db.deleteItem(DeleteItemRequest(tableName: "Model", key: ["p": .s(p), "s": .s(s)]))
                model[p]?[s] = nil
            } else {
                try await db.table("Model").put(["p": .s(p), "s": .s(s), "v": .n(Number(step))])
                model[p, default: [:]][s] = step
            }
        }
        for _ in 0..<150 {
            let p = partitions.randomElement(using: &g)!
            let forward = Bool.random(using: &g)
            let limit = Bool.random(using: &g) ? Int.random(in: 1...9, using: &g) : nil
            let pivotA = sortKey(&g)
            let pivotB = sortKey(&g)
            let (low, high) = utf8Less(pivotA, pivotB) ? (pivotA, pivotB) : (pivotB, pivotA)
            let choice = Int.random(in: 0..<7, using: &g)
            let op: SortKeyCondition.Operator?
            let keep: (String) -> Bool
            switch choice {
            case 0: op = nil; keep = { _ in true }
            case 1: op = .lessThan(.s(low)); keep = { self.utf8Less($0, low) }
            case 2: op = .greaterThanOrEqual(.s(low)); keep = { !self.utf8Less($0, low) }
            case 3: op = .between(.s(low), .s(high)); keep = { !self.utf8Less($0, low) && !self.utf8Less(high, $0) }
            case 4:
                let prefix = String(low.prefix(Int.random(in: 1...max(1, low.count), using: &g)))
                op = .beginsWith(.s(prefix)); keep = { $0.utf8.starts(with: prefix.utf8) }
            case 5: op = .greaterThan(.s(low)); keep = { self.utf8Less(low, $0) }
            default: op = .equal(.s(low)); keep = { $0 == low }
            }
            var expected = (model[p] ?? [:]).keys.filter(keep).sorted(by: utf8Less)
            if !forward { expected.reverse() }
            var seen: [String] = []
            var start: Item?
            var pages = 0
            repeat {
                let page = try await db.query(QueryRequest(
                    tableName: "Model",
                    keyCondition: KeyCondition(partitionKeyName: "p", partitionKeyValue: .s(p), sortKey: op.map { SortKeyCondition(name: "s", $0) }),
                    scanIndexForward: forward, limit: limit, exclusiveStartKey: start))
                seen += page.items.compactMap { $0["s"]?.stringValue }
                for item in page.items {
                    let s = item["s"]!.stringValue!
                    #expect(item["v"] == .n(Number(model[p]![s]!)))
                }
                start = page.lastEvaluatedKey
                pages += 1
            } while start != nil && pages < 1000
            #expect(seen == expected, "query \(choice) forward \(forward) limit \(String(describing: limit))")
        }
        // A full, paged scan sees every item exactly once.
        var scanned: [String] = []
        var start: Item?
        repeat {
            let page = try await db.scan(ScanRequest(tableName: "Model", limit: 7, exclusiveStartKey: start))
            scanned += page.items.map { $0["p"]!.stringValue! + "\u{0}" + $0["s"]!.stringValue! }
            start = page.lastEvaluatedKey
        } while start != nil
        let all = model.flatMap { p, keys in keys.keys.map { p + "\u{0}" + $0 } }
        #expect(scanned.sorted() == all.sorted())
        #expect(Set(scanned).count == scanned.count)
    }
}
