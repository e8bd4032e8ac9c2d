// Runs one read shape (or 25-item BatchWriteItem loads into a fresh database) in a loop on the
// benchmark fixture, for `perf record`.
// Usage: ReadProfile FIXTURE_DIR scan|query|codable|get|partiql-get|bulk SECONDS
//        ReadProfile DIR load ITEMS    (a database of ITEMS fixture-shaped items at DIR/shoal)
//        ReadProfile DIR rss ITEMS     (anonymous RSS while Scan and Query read every item)
import Foundation
import Shoal

let args = CommandLine.arguments
let directory = args[1]
let mode = args[2]
let seconds = Double(args[3]) ?? 10
let bulkDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-profile-bulk-\(UUID())").path
let db = try Shoal.Database.open(at: mode == "bulk" ? bulkDirectory : directory + "/shoal", options: DatabaseOptions(shardCount: 4, durability: .noSync))
if mode == "bulk" {
    _ = try await db.createTable(CreateTableRequest(tableName: "Bench", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
}
/// This process's anonymous resident memory (heap and stacks, not the mapped database), in MB.
func anonymousRSS() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

func fixtureItem(_ i: Int) -> Item {
    ["pk": .s("user-\(i / 100)"), "sk": .n(Number(i % 100)), "name": .s("name \(i)"), "age": .n(Number(18 + i % 60)),
     "email": .s("user\(i)@example.com"), "bio": .s(String(repeating: "x", count: 100))]
}

if mode == "load" {
    let count = Int(args[3]) ?? 1_000_000
    _ = try await db.createTable(CreateTableRequest(tableName: "Bench", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
    for start in stride(from: 0, to: count, by: 25) {
        let writes = (start..<min(start + 25, count)).map { WriteRequest.put(fixtureItem($0)) }
        _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Bench": writes]))
    }
    print("loaded \(count) items")
    exit(0)
}

if mode == "bulk" {
    // Requests built first, so a profile of the load sees only the load (use `perf record -D`).
    let requests = (0..<Int(seconds * 4000)).map { b in
        BatchWriteItemRequest(requestItems: ["Bench": (0..<25).map { WriteRequest.put(fixtureItem(b * 25 + $0)) }])
    }
    print("built \(requests.count) requests")
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        for request in requests { _ = try await db.batchWriteItem(request) }
    }
    let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("bulk: \(requests.count * 25) items in \(secondsTaken) s, \(Double(requests.count * 25) / secondsTaken) items/s")
    db.close()
    // `exit` skips `defer`: the scratch database goes here.
    try? FileManager.default.removeItem(atPath: bulkDirectory)
    exit(0)
}

if mode == "rss" {
    let count = Int(args[3]) ?? 1_000_000
    let before = anonymousRSS()
    var peak = before
    var scanned = 0
    var start: Item?
    repeat {
        let page = try await db.scan(ScanRequest(tableName: "Bench", exclusiveStartKey: start))
        scanned += page.count
        start = page.lastEvaluatedKey
        peak = max(peak, anonymousRSS())
    } while start != nil
    let afterScan = anonymousRSS()
    var queried = 0
    for p in 0..<(count / 100) {
        let page = try await db.query(QueryRequest(tableName: "Bench", keyConditionExpression: "pk = :p",
                                                   expressionAttributeValues: [":p": .s("user-\(p)")]))
        queried += page.count
        if p % 100 == 0 { peak = max(peak, anonymousRSS()) }
    }
    print(String(format: "anonymous RSS: %.1f MB before, %.1f MB after scanning %d items, %.1f MB after querying %d, peak %.1f MB",
                 before, afterScan, scanned, anonymousRSS(), queried, peak))
    exit(0)
}

/// The benchmark fixture's items as a `Codable` type (as `BenchUser` in the benchmarks).
struct User: Codable {
    var pk: String
    var sk: Int
    var name: String
    var email: String
    var bio: String
    var age: Int
    var active: Bool
}

let clock = ContinuousClock()
let end = clock.now + .milliseconds(Int(seconds * 1000))
var rounds = 0
var items = 0
while clock.now < end {
    switch mode {
    case "scan":
        var start: Item?
        repeat {
            let page = try await db.scan(ScanRequest(tableName: "Bench", exclusiveStartKey: start,
                                                     filterExpression: "age < :a", expressionAttributeValues: [":a": 24]))
            items += page.count
            start = page.lastEvaluatedKey
        } while start != nil
    case "query":
        for p in 0..<200 {
            let page = try await db.query(QueryRequest(tableName: "Bench", keyConditionExpression: "pk = :p",
                                                       expressionAttributeValues: [":p": .s("user-\(p * 7 % 2000)")]))
            items += page.count
        }
    case "codable":
        let table = db.table("Bench")
        for p in 0..<200 {
            items += try await table.query(User.self, .s("user-\(p * 7 % 2000)")).count
        }
    case "partiql-get":
        for i in 0..<10000 {
            let k = i * 7919 % 200000
            let page = try await db.execute("SELECT * FROM \"Bench\" WHERE pk = ? AND sk = ?", parameters: [.s("user-\(k / 100)"), .n(Number(k % 100))])
            items += page.items.count
        }
    default:
        for i in 0..<10000 {
            let k = i * 7919 % 200000
            if try await db.getItem(GetItemRequest(tableName: "Bench", key: ["pk": .s("user-\(k / 100)"), "sk": .n(Number(k % 100))])).item != nil { items += 1 }
        }
    }
    rounds += 1
}
print("\(mode): \(rounds) rounds, \(items) items, \(Double(items) / seconds) items/s")
