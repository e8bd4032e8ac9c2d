import Benchmark
import Foundation
import GRDB
import LMDB
@_spi(Benchmarks) import Shoal

// Each benchmark runs Shoal and its baselines in the same process, on the same data, in the
// same iteration, and reports both rates and their ratio as custom metrics (bigger is better).
// The package runs every benchmark in a process of its own; the fixture is built once on disk.

extension BenchmarkMetric {
    static let shoalRate = BenchmarkMetric.custom("Shoal ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let lmdbRate = BenchmarkMetric.custom("raw LMDB ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let grdbRate = BenchmarkMetric.custom("GRDB ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let percentOfLMDB = BenchmarkMetric.custom("Shoal as % of raw LMDB", polarity: .prefersLarger, useScalingFactor: false)
    static let timesGRDB = BenchmarkMetric.custom("Shoal / GRDB (x100)", polarity: .prefersLarger, useScalingFactor: false)
    static let grdbDecodedRate = BenchmarkMetric.custom("GRDB + item decode ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let timesGRDBDecoded = BenchmarkMetric.custom("Shoal / (GRDB + decode) (x100)", polarity: .prefersLarger, useScalingFactor: false)
    static let concurrentRate = BenchmarkMetric.custom("Shoal ops/s, 8 loaders", polarity: .prefersLarger, useScalingFactor: false)
    static let concurrentPercent = BenchmarkMetric.custom("Shoal 8 loaders as % of raw LMDB", polarity: .prefersLarger, useScalingFactor: false)
    static let anonymousGrowth = BenchmarkMetric.custom("anonymous RSS growth (MB)", polarity: .prefersSmaller, useScalingFactor: false)
    static let scanRate = BenchmarkMetric.custom("Scan items/s", polarity: .prefersLarger, useScalingFactor: false)
}

/// The fixture of this benchmark process, set by the setup hook before the first iteration.
/// Benchmarks are run one at a time, so this is never accessed concurrently.
nonisolated(unsafe) var fixture: Fixture!

/// Fresh directories for the write benchmarks.
final class WriteTargets: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time; `next` is only touched by its closure.
    let shoal: Shoal.Database
    let raw: Environment
    let rawItems: LMDB.Database
    var next = 0
    let path: String

    // A plain initialiser plus an async factory: an `async throws` class initialiser here
    // crashes the 6.3.1 optimiser (coroutine splitting).
    private init(durability: Durability) throws {
        path = NSTemporaryDirectory() + "shoal-bench-write-" + UUID().uuidString
        shoal = try Shoal.Database.open(at: path + "/shoal", options: DatabaseOptions(shardCount: 4, durability: durability))
        var options = EnvironmentOptions()
        options.noSync = durability == .noSync
        raw = try Environment(path: path + "/lmdb", options: options)
        rawItems = try raw.write { try $0.openDatabase(named: "items", create: true)! }
    }

    static func make(durability: Durability) async throws -> WriteTargets {
        let targets = try WriteTargets(durability: durability)
        _ = try await targets.shoal.createTable(CreateTableRequest(tableName: Fixture.tableName, partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        return targets
    }

    func remove() {
        shoal.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) var writeTargets: WriteTargets!

let benchmarks: @Sendable () -> Void = {
    let comparison: [BenchmarkMetric] = [.shoalRate, .lmdbRate, .grdbRate, .percentOfLMDB, .timesGRDB, .grdbDecodedRate, .timesGRDBDecoded]
    let rounds = Benchmark.Configuration(metrics: comparison, warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5)
    let openFixture: Benchmark.BenchmarkSetupHook = { fixture = try await Fixture.open() }

    Benchmark("GetItem random keys", configuration: rounds, closure: { benchmark async throws in
        let f = fixture!
        var rng = SplitMix(state: 42)
        let indexes = (0..<20_000).map { _ in Int.random(in: 0..<Fixture.itemCount, using: &rng) }
        let keys = indexes.map(Fixture.key)
        let rawKeys = keys.map { StorageFormat.key(partition: $0["pk"]!, sort: $0["sk"]!) }
        let clock = ContinuousClock()

        let shoal = try await clock.measure {
            for key in keys {
                blackHole(try await f.shoal.getItem(GetItemRequest(tableName: Fixture.tableName, key: key)).item)
            }
        }
        let raw = try clock.measure {
            for key in rawKeys {
                blackHole(try f.raw.read { try $0.get(f.rawItems, key: key) })
            }
        }
        let grdb = try clock.measure {
            for i in indexes {
                blackHole(try f.sqlite.read { db in
                    try Data.fetchOne(db.cachedStatement(sql: "SELECT item FROM kv WHERE pk = ? AND sk = ?"),
                                      arguments: ["user-\(i / Fixture.partitionSize)", i % Fixture.partitionSize])
                })
            }
        }
        // What an application storing items in SQLite does: the same select, then decode the item.
        let grdbDecoded = try clock.measure {
            for i in indexes {
                let blob = try f.sqlite.read { db in
                    try Data.fetchOne(db.cachedStatement(sql: "SELECT item FROM kv WHERE pk = ? AND sk = ?"),
                                      arguments: ["user-\(i / Fixture.partitionSize)", i % Fixture.partitionSize])
                }
                blackHole(try blob.map { try StorageFormat.item(fromValue: [UInt8]($0)) })
            }
        }
        report(benchmark, count: keys.count, shoal: shoal, raw: raw, grdb: grdb, grdbDecoded: grdbDecoded)
    }, setup: openFixture)

    Benchmark("Query 100 items of a partition", configuration: rounds, closure: { benchmark async throws in
        let f = fixture!
        var rng = SplitMix(state: 7)
        let partitions = (0..<2_000).map { _ in Int.random(in: 0..<(Fixture.itemCount / Fixture.partitionSize), using: &rng) }
        let clock = ContinuousClock()

        let shoal = try await clock.measure {
            for p in partitions {
                let condition = KeyCondition(partitionKeyName: "pk", partitionKeyValue: .s("user-\(p)"))
                let page = try await f.shoal.query(QueryRequest(tableName: Fixture.tableName, keyCondition: condition))
                precondition(page.count == Fixture.partitionSize)
                blackHole(page)
            }
        }
        let prefixes = partitions.map { StorageFormat.key(partition: .s("user-\($0)"), sort: nil) }
        let raw = try clock.measure {
            for prefix in prefixes {
                let values = try f.raw.read { txn in
                    try txn.withCursor(f.rawItems) { cursor in
                        var values: [[UInt8]] = []
                        var more = try cursor.seek(atOrAfter: prefix)
                        while more && cursor.key.hasPrefix(prefix) {
                            values.append(cursor.value.array)
                            more = try cursor.next()
                        }
                        return values
                    }
                }
                precondition(values.count == Fixture.partitionSize)
                blackHole(values)
            }
        }
        let grdb = try clock.measure {
            for p in partitions {
                blackHole(try f.sqlite.read { db in
                    try Data.fetchAll(db.cachedStatement(sql: "SELECT item FROM kv WHERE pk = ? ORDER BY sk LIMIT 100"), arguments: ["user-\(p)"])
                })
            }
        }
        let grdbDecoded = try clock.measure {
            for p in partitions {
                let blobs = try f.sqlite.read { db in
                    try Data.fetchAll(db.cachedStatement(sql: "SELECT item FROM kv WHERE pk = ? ORDER BY sk LIMIT 100"), arguments: ["user-\(p)"])
                }
                blackHole(try blobs.map { try StorageFormat.item(fromValue: [UInt8]($0)) })
            }
        }
        report(benchmark, count: partitions.count, shoal: shoal, raw: raw, grdb: grdb, grdbDecoded: grdbDecoded)
    }, setup: openFixture)

    Benchmark("BatchWriteItem bulk load (nosync)",
              configuration: .init(metrics: [.shoalRate, .lmdbRate, .percentOfLMDB, .concurrentRate, .concurrentPercent],
                                   warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5),
              closure: { benchmark async throws in
        let t = writeTargets!
        let batches = 400
        let first = t.next
        t.next += batches * 25
        let requests = (0..<batches).map { b in
            BatchWriteItemRequest(requestItems: [Fixture.tableName: (0..<25).map { WriteRequest.put(Fixture.item(first + b * 25 + $0)) }])
        }
        let rawBatches = (0..<batches).map { b in
            (0..<25).map { j -> ([UInt8], [UInt8]) in
                let item = Fixture.item(first + b * 25 + j)
                return (StorageFormat.key(partition: item["pk"]!, sort: item["sk"]!), StorageFormat.value(of: item))
            }
        }
        let clock = ContinuousClock()
        let shoal = try await clock.measure {
            for request in requests { _ = try await t.shoal.batchWriteItem(request) }
        }
        // The raw baseline writes the same bytes to fresh keys (offset so they never overwrite).
        let raw = try clock.measure {
            for batch in rawBatches {
                try t.raw.write { txn in
                    for (key, value) in batch { try txn.put(t.rawItems, key: key, value: value) }
                }
            }
        }
        report(benchmark, count: batches * 25, shoal: shoal, raw: raw, grdb: nil)

        // The same volume from 8 concurrent loaders, as a bulk import would run.
        let concurrentFirst = t.next
        t.next += batches * 25
        let concurrentRequests = (0..<batches).map { b in
            BatchWriteItemRequest(requestItems: [Fixture.tableName: (0..<25).map { WriteRequest.put(Fixture.item(concurrentFirst + b * 25 + $0)) }])
        }
        let concurrent = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for loader in 0..<8 {
                    group.addTask {
                        for request in stride(from: loader, to: batches, by: 8).map({ concurrentRequests[$0] }) {
                            _ = try await t.shoal.batchWriteItem(request)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let concurrentRate = rate(batches * 25, concurrent)
        benchmark.measurement(.concurrentRate, concurrentRate)
        benchmark.measurement(.concurrentPercent, concurrentRate * 100 / max(rate(batches * 25, raw), 1))
    }, setup: { writeTargets = try await WriteTargets.make(durability: .noSync) }, teardown: { writeTargets.remove() })

    Benchmark("Durable PutItem, 64 concurrent tasks vs one put per commit",
              configuration: .init(metrics: [.shoalRate, .lmdbRate, .percentOfLMDB], warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5),
              closure: { benchmark async throws in
        let t = writeTargets!
        let perTask = 20
        let first = t.next
        t.next += 64 * perTask
        let clock = ContinuousClock()
        let shoal = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        for i in 0..<perTask {
                            _ = try await t.shoal.putItem(PutItemRequest(tableName: Fixture.tableName, item: Fixture.item(first + task * perTask + i)))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let rawPairs = (0..<(64 * perTask)).map { j -> ([UInt8], [UInt8]) in
            let item = Fixture.item(first + j)
            return (StorageFormat.key(partition: item["pk"]!, sort: item["sk"]!), StorageFormat.value(of: item))
        }
        let raw = try clock.measure {
            for (key, value) in rawPairs {
                try t.raw.write { try $0.put(t.rawItems, key: key, value: value) }
            }
        }
        report(benchmark, count: 64 * perTask, shoal: shoal, raw: raw, grdb: nil)
    }, setup: { writeTargets = try await WriteTargets.make(durability: .sync) }, teardown: { writeTargets.remove() })

    Benchmark("Full Scan memory",
              configuration: .init(metrics: [.anonymousGrowth, .scanRate], warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 1),
              closure: { benchmark async throws in
        let f = fixture!
        let before = residentAnonymousBytes()
        var peak = before
        var count = 0
        var start: Item?
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            repeat {
                let page = try await f.shoal.scan(ScanRequest(tableName: Fixture.tableName, exclusiveStartKey: start))
                count += page.count
                start = page.lastEvaluatedKey
                peak = max(peak, residentAnonymousBytes())
            } while start != nil
        }
        precondition(count == Fixture.itemCount, "scan saw \(count) items")
        benchmark.measurement(.anonymousGrowth, (peak - before) / (1024 * 1024))
        benchmark.measurement(.scanRate, rate(count, elapsed))
    }, setup: openFixture)

    registerExpressionBenchmarks(openFixture: openFixture)
    registerPartiQLBenchmarks(openFixture: openFixture)
    registerCodableBenchmarks(openFixture: openFixture)
    registerChecksumBenchmarks()
    registerIndexBenchmarks()
    registerStreamBenchmarks()
    registerTriggerBenchmarks()
    registerTransactionBenchmarks()
    registerOperationsBenchmarks()
    registerRecoveryBenchmarks()
    registerTransferJobBenchmarks()
    registerStartupBenchmarks()
    registerSnapshotBenchmarks()
}

func report(_ benchmark: Benchmark, count: Int, shoal: Duration, raw: Duration, grdb: Duration?, grdbDecoded: Duration? = nil) {
    let shoalRate = rate(count, shoal)
    let rawRate = rate(count, raw)
    benchmark.measurement(.shoalRate, shoalRate)
    benchmark.measurement(.lmdbRate, rawRate)
    benchmark.measurement(.percentOfLMDB, shoalRate * 100 / max(rawRate, 1))
    if let grdb {
        let grdbRate = rate(count, grdb)
        benchmark.measurement(.grdbRate, grdbRate)
        benchmark.measurement(.timesGRDB, shoalRate * 100 / max(grdbRate, 1))
    }
    if let grdbDecoded {
        let decodedRate = rate(count, grdbDecoded)
        benchmark.measurement(.grdbDecodedRate, decodedRate)
        benchmark.measurement(.timesGRDBDecoded, shoalRate * 100 / max(decodedRate, 1))
    }
}
