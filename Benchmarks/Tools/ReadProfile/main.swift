// Runs one read shape in a loop on the benchmark fixture, for `perf record`.
// Usage: ReadProfile FIXTURE_DIR scan|query|get SECONDS
import Foundation
import Shoal

let args = CommandLine.arguments
let directory = args[1]
let mode = args[2]
let seconds = Double(args[3]) ?? 10
let db = try Shoal.Database.open(at: directory + "/shoal", options: DatabaseOptions(shardCount: 4, durability: .noSync))
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
    default:
        for i in 0..<10000 {
            let k = i * 7919 % 200000
            if try await db.getItem(GetItemRequest(tableName: "Bench", key: ["pk": .s("user-\(k / 100)"), "sk": .n(Number(k % 100))])).item != nil { items += 1 }
        }
    }
    rounds += 1
}
print("\(mode): \(rounds) rounds, \(items) items, \(Double(items) / seconds) items/s")
