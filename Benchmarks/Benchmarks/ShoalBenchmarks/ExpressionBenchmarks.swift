import Benchmark
import Foundation
import GRDB
@_spi(Benchmarks) import Shoal

extension BenchmarkMetric {
    static let conditionRate = BenchmarkMetric.custom("condition parse + evaluate /s", polarity: .prefersLarger, useScalingFactor: false)
    static let updateRate = BenchmarkMetric.custom("update parse + apply /s", polarity: .prefersLarger, useScalingFactor: false)
    static let updateItemRate = BenchmarkMetric.custom("UpdateItem increments/s", polarity: .prefersLarger, useScalingFactor: false)
    static let putItemRate = BenchmarkMetric.custom("PutItem/s", polarity: .prefersLarger, useScalingFactor: false)
    static let updatePercentOfPut = BenchmarkMetric.custom("UpdateItem as % of PutItem", polarity: .prefersLarger, useScalingFactor: false)
    static let filteredScanRate = BenchmarkMetric.custom("Shoal filtered scan items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let sqliteScanRate = BenchmarkMetric.custom("GRDB WHERE scan items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let sqliteDecodedScanRate = BenchmarkMetric.custom("GRDB WHERE + decode items/s", polarity: .prefersLarger, useScalingFactor: false)
}

func registerExpressionBenchmarks(openFixture: @escaping Benchmark.BenchmarkSetupHook) {
    Benchmark("Expression parse and evaluate",
              configuration: .init(metrics: [.conditionRate, .updateRate], warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 5),
              closure: { benchmark throws in
        let item: Item = ["pk": "user-1", "status": "active", "count": 41, "updated": 0]
        let rounds = 100_000
        let clock = ContinuousClock()
        let conditions = try clock.measure {
            for _ in 0..<rounds {
                let condition = try Condition.parse("attribute_exists(pk) AND #s = :v", names: ["#s": "status"], values: [":v": "active"])
                precondition(condition.isSatisfied(by: item))
            }
        }
        let updates = try clock.measure {
            for _ in 0..<rounds {
                let update = try UpdateExpression.parse("SET #c = #c + :one, updated = :t", names: ["#c": "count"], values: [":one": 1, ":t": 1_700_000_000])
                blackHole(try update.apply(to: item, key: ["pk": "user-1"]))
            }
        }
        benchmark.measurement(.conditionRate, rate(rounds, conditions))
        benchmark.measurement(.updateRate, rate(rounds, updates))
    })

    Benchmark("UpdateItem counters vs PutItem, 64 tasks, sync",
              configuration: .init(metrics: [.updateItemRate, .putItemRate, .updatePercentOfPut], warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5),
              closure: { benchmark async throws in
        let t = writeTargets!
        let perTask = 20
        let hotKeys = 16
        let clock = ContinuousClock()
        let updates = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        for _ in 0..<perTask {
                            _ = try await t.shoal.updateItem(UpdateItemRequest(
                                tableName: Fixture.tableName, key: ["pk": .s("counter-\(task % hotKeys)"), "sk": 0],
                                updateExpression: "SET #c = if_not_exists(#c, :zero) + :one",
                                expressionAttributeNames: ["#c": "count"], expressionAttributeValues: [":zero": 0, ":one": 1]))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let puts = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        for i in 0..<perTask {
                            _ = try await t.shoal.putItem(PutItemRequest(
                                tableName: Fixture.tableName, item: ["pk": .s("counter-\(task % hotKeys)"), "sk": 0, "count": .n(Number(i))]))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let updateRate = rate(64 * perTask, updates)
        let putRate = rate(64 * perTask, puts)
        benchmark.measurement(.updateItemRate, updateRate)
        benchmark.measurement(.putItemRate, putRate)
        benchmark.measurement(.updatePercentOfPut, updateRate * 100 / max(putRate, 1))
    }, setup: { writeTargets = try await WriteTargets.make(durability: .sync) }, teardown: { writeTargets.remove() })

    Benchmark("Scan with a 10 % filter vs SQLite WHERE",
              configuration: .init(metrics: [.filteredScanRate, .sqliteScanRate, .timesGRDB, .sqliteDecodedScanRate, .timesGRDBDecoded],
                                   warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 3),
              closure: { benchmark async throws in
        let f = fixture!
        let clock = ContinuousClock()
        var matched = 0
        let shoal = try await clock.measure {
            var start: Item?
            repeat {
                let page = try await f.shoal.scan(ScanRequest(tableName: Fixture.tableName, exclusiveStartKey: start,
                                                              filterExpression: "age < :a", expressionAttributeValues: [":a": 24]))
                matched += page.count
                start = page.lastEvaluatedKey
            } while start != nil
        }
        let expected = (0..<Fixture.itemCount).reduce(0) { $0 + (Fixture.age($1) < 24 ? 1 : 0) }
        precondition(matched == expected, "filter matched \(matched), expected \(expected)")
        let sqlite = try clock.measure {
            let blobs = try f.sqlite.read { db in try Data.fetchAll(db, sql: "SELECT item FROM kv WHERE age < 24") }
            precondition(blobs.count == matched)
        }
        let sqliteDecoded = try clock.measure {
            let blobs = try f.sqlite.read { db in try Data.fetchAll(db, sql: "SELECT item FROM kv WHERE age < 24") }
            blackHole(try blobs.map { try StorageFormat.item(fromValue: [UInt8]($0)) })
        }
        let shoalRate = rate(Fixture.itemCount, shoal)
        benchmark.measurement(.filteredScanRate, shoalRate)
        benchmark.measurement(.sqliteScanRate, rate(Fixture.itemCount, sqlite))
        benchmark.measurement(.timesGRDB, shoalRate * 100 / max(rate(Fixture.itemCount, sqlite), 1))
        benchmark.measurement(.sqliteDecodedScanRate, rate(Fixture.itemCount, sqliteDecoded))
        benchmark.measurement(.timesGRDBDecoded, shoalRate * 100 / max(rate(Fixture.itemCount, sqliteDecoded), 1))
    }, setup: openFixture)
}
