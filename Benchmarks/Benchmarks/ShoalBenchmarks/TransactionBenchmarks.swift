import Benchmark
import Foundation
import Shoal

extension BenchmarkMetric {
    static let putItemsRate = BenchmarkMetric.custom("items/s, 4 PutItems", polarity: .prefersLarger, useScalingFactor: false)
    static let transactOneShardRate = BenchmarkMetric.custom("items/s, TransactWriteItems of 4, one shard", polarity: .prefersLarger, useScalingFactor: false)
    static let transactSpreadRate = BenchmarkMetric.custom("items/s, TransactWriteItems of 4, 4 shards", polarity: .prefersLarger, useScalingFactor: false)
    static let oneShardPercent = BenchmarkMetric.custom("one shard as % of PutItems", polarity: .prefersLarger, useScalingFactor: false)
    static let spreadPercent = BenchmarkMetric.custom("4 shards as % of PutItems", polarity: .prefersLarger, useScalingFactor: false)
    static let expiredRate = BenchmarkMetric.custom("items expired/s", polarity: .prefersLarger, useScalingFactor: false)
    static let ttlWritersAlone = BenchmarkMetric.custom("writer puts/s, expirer idle", polarity: .prefersLarger, useScalingFactor: false)
    static let ttlWritersDuring = BenchmarkMetric.custom("writer puts/s, while expiring", polarity: .prefersLarger, useScalingFactor: false)
    static let ttlWritersPercent = BenchmarkMetric.custom("writers while expiring as % of idle", polarity: .prefersLarger, useScalingFactor: false)
}

/// A 4-shard database with a plain table, and for each of `tasks` writers four partition keys on
/// four different shards and four sort keys of one partition (one shard).
final class TransactionTargets: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time.
    let shoal: Shoal.Database
    let path: String
    /// By task: four partition keys, one per shard.
    let spread: [[String]]

    private init(durability: Durability, tasks: Int) throws {
        path = NSTemporaryDirectory() + "shoal-bench-transact-" + UUID().uuidString
        shoal = try Shoal.Database.open(at: path, options: DatabaseOptions(shardCount: 4, durability: durability))
        var byShard: [[String]] = Array(repeating: [], count: 4)
        var i = 0
        while byShard.contains(where: { $0.count < tasks }) {
            let key = "p\(i)"
            let shard = shoal.shardIndex(ofPartitionKey: .s(key))
            if byShard[shard].count < tasks { byShard[shard].append(key) }
            i += 1
        }
        spread = (0..<tasks).map { task in (0..<4).map { byShard[$0][task] } }
    }

    static func make(durability: Durability, tasks: Int) async throws -> TransactionTargets {
        let targets = try TransactionTargets(durability: durability, tasks: tasks)
        _ = try await targets.shoal.createTable(CreateTableRequest(tableName: "Transfers", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        return targets
    }

    func remove() {
        shoal.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) var transactionTargets: TransactionTargets!

/// A 4-shard table of `Fixture.itemCount` items with time to live on `expires`: every tenth item
/// is due, the others expire in a day. Built fresh for each run (the run deletes the due tenth).
final class ExpiryFixture: @unchecked Sendable {
    let shoal: Shoal.Database
    let path: String

    private init() throws {
        path = NSTemporaryDirectory() + "shoal-bench-ttl-" + UUID().uuidString
        var options = DatabaseOptions(shardCount: 4, durability: .noSync)
        options.timeToLivePeriod = .seconds(86_400)   // the benchmark runs the expirer itself
        shoal = try Shoal.Database.open(at: path, options: options)
    }

    static func make() async throws -> ExpiryFixture {
        let fixture = try ExpiryFixture()
        let db = fixture.shoal
        _ = try await db.createTable(CreateTableRequest(tableName: "Expiring", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        try await db.table("Expiring").timeToLive(attribute: "expires")
        let now = Int(Date().timeIntervalSince1970)
        try await concurrently(0..<(Fixture.itemCount / 25), tasks: 8) { batch in
            let writes = (batch * 25..<(batch * 25 + 25)).map { i -> WriteRequest in
                var item = Fixture.item(i)
                item["expires"] = .n(Number(i % 10 == 0 ? now - 60 : now + 86_400))
                return .put(item)
            }
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Expiring": writes]))
        }
        return fixture
    }

    func remove() {
        shoal.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) var expiryFixture: ExpiryFixture!

/// Puts by `tasks` writers until `stop` says so. - Returns: puts per second.
private func writeUntil(_ db: Shoal.Database, tasks: Int, offset: Int, _ stop: @escaping @Sendable () -> Bool) async throws -> Int {
    let clock = ContinuousClock()
    let start = clock.now
    let counts = try await withThrowingTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var n = 0
                while !stop() {
                    try await db.table("Expiring").put(["pk": .s("writer-\(task)"), "sk": .n(Number(offset + n)), "v": 1])
                    n += 1
                }
                return n
            }
        }
        return try await group.reduce(0, +)
    }
    return rate(counts, clock.now - start)
}

func registerTransactionBenchmarks() {
    let tasks = 64
    let rounds = 10
    Benchmark("TransactWriteItems of 4 items vs 4 PutItems, 64 tasks, sync",
              configuration: .init(metrics: [.putItemsRate, .transactOneShardRate, .transactSpreadRate, .oneShardPercent, .spreadPercent],
                                   warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark async throws in
        let t = transactionTargets!
        let clock = ContinuousClock()
        func run(_ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Duration {
            try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<tasks {
                        group.addTask { for round in 0..<rounds { try await body(task, round) } }
                    }
                    try await group.waitForAll()
                }
            }
        }
        let puts = try await run { task, round in
            for k in 0..<4 {
                try await t.shoal.table("Transfers").put(["pk": .s(t.spread[task][k]), "sk": .n(Number(round)), "v": 1])
            }
        }
        let oneShard = try await run { task, round in
            try await t.shoal.transactWrite { tx in
                for k in 0..<4 { tx.put(t.shoal.table("Transfers"), ["pk": .s(t.spread[task][0]), "sk": .n(Number(1000 + round * 4 + k)), "v": 1]) }
            }
        }
        let spread = try await run { task, round in
            try await t.shoal.transactWrite { tx in
                for k in 0..<4 { tx.put(t.shoal.table("Transfers"), ["pk": .s(t.spread[task][k]), "sk": .n(Number(100_000 + round)), "v": 1]) }
            }
        }
        let items = tasks * rounds * 4
        let putRate = rate(items, puts)
        benchmark.measurement(.putItemsRate, putRate)
        benchmark.measurement(.transactOneShardRate, rate(items, oneShard))
        benchmark.measurement(.transactSpreadRate, rate(items, spread))
        benchmark.measurement(.oneShardPercent, rate(items, oneShard) * 100 / max(putRate, 1))
        benchmark.measurement(.spreadPercent, rate(items, spread) * 100 / max(putRate, 1))
    }, setup: { transactionTargets = try await TransactionTargets.make(durability: .sync, tasks: tasks) },
       teardown: { transactionTargets.remove() })

    Benchmark("TTL expiry of 10 % of the fixture, with and without writers",
              configuration: .init(metrics: [.expiredRate, .ttlWritersAlone, .ttlWritersDuring, .ttlWritersPercent],
                                   warmupIterations: 0, maxDuration: .seconds(600), maxIterations: 1),
              closure: { benchmark async throws in
        let db = expiryFixture.shoal
        let clock = ContinuousClock()
        // Writers alone for two seconds.
        let aloneEnd = clock.now + .seconds(2)
        let alone = try await writeUntil(db, tasks: 8, offset: 0) { clock.now >= aloneEnd }
        // The expirer deleting the due tenth while the same writers run.
        let expiring = Task { () -> (Int, Duration) in
            let start = clock.now
            let deleted = await db.expireDueItems()
            return (deleted, clock.now - start)
        }
        let finished = Flag()
        let watcher = Task { _ = await expiring.value; finished.set() }
        let during = try await writeUntil(db, tasks: 8, offset: 1_000_000) { finished.isSet }
        _ = await watcher.value
        let (deleted, duration) = await expiring.value
        precondition(deleted == (Fixture.itemCount + 9) / 10, "expired \(deleted)")
        benchmark.measurement(.expiredRate, rate(deleted, duration))
        benchmark.measurement(.ttlWritersAlone, alone)
        benchmark.measurement(.ttlWritersDuring, during)
        benchmark.measurement(.ttlWritersPercent, during * 100 / max(alone, 1))
    }, setup: { expiryFixture = try await ExpiryFixture.make() }, teardown: { expiryFixture.remove() })
}

/// A flag set once, read from any task.
final class Flag: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
