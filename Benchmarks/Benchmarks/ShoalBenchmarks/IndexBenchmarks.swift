import Benchmark
import Foundation
import GRDB
import Synchronization
@_spi(Benchmarks) import Shoal

extension BenchmarkMetric {
    static let puts0 = BenchmarkMetric.custom("PutItem/s, 0 GSIs", polarity: .prefersLarger, useScalingFactor: false)
    static let puts1 = BenchmarkMetric.custom("PutItem/s, 1 GSI", polarity: .prefersLarger, useScalingFactor: false)
    static let puts5 = BenchmarkMetric.custom("PutItem/s, 5 GSIs", polarity: .prefersLarger, useScalingFactor: false)
    static let puts20 = BenchmarkMetric.custom("PutItem/s, 20 GSIs", polarity: .prefersLarger, useScalingFactor: false)
    static let puts1Percent = BenchmarkMetric.custom("1 GSI as % of 0", polarity: .prefersLarger, useScalingFactor: false)
    static let puts5Percent = BenchmarkMetric.custom("5 GSIs as % of 0", polarity: .prefersLarger, useScalingFactor: false)
    static let puts20Percent = BenchmarkMetric.custom("20 GSIs as % of 0", polarity: .prefersLarger, useScalingFactor: false)
    static let deletes0 = BenchmarkMetric.custom("DeleteItem/s, 0 GSIs", polarity: .prefersLarger, useScalingFactor: false)
    static let deletes20 = BenchmarkMetric.custom("DeleteItem/s, 20 GSIs", polarity: .prefersLarger, useScalingFactor: false)

    static let gsiQuery1 = BenchmarkMetric.custom("GSI Query/s, 1 shard", polarity: .prefersLarger, useScalingFactor: false)
    static let gsiQuery4 = BenchmarkMetric.custom("GSI Query/s, 4 shards", polarity: .prefersLarger, useScalingFactor: false)
    static let gsiQuery16 = BenchmarkMetric.custom("GSI Query/s, 16 shards", polarity: .prefersLarger, useScalingFactor: false)
    static let tableQuery = BenchmarkMetric.custom("table Query/s, 4 shards", polarity: .prefersLarger, useScalingFactor: false)
    static let lsiQuery = BenchmarkMetric.custom("LSI Query/s, 4 shards", polarity: .prefersLarger, useScalingFactor: false)
    static let sqliteIndexQuery = BenchmarkMetric.custom("GRDB index select/s", polarity: .prefersLarger, useScalingFactor: false)
    static let sqliteIndexDecoded = BenchmarkMetric.custom("GRDB index select + decode/s", polarity: .prefersLarger, useScalingFactor: false)
    static let gsi4TimesGRDB = BenchmarkMetric.custom("GSI 4 shards / (GRDB + decode) (x100)", polarity: .prefersLarger, useScalingFactor: false)

    static let backfillRate = BenchmarkMetric.custom("backfill items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let backfillUnderWrites = BenchmarkMetric.custom("backfill items/s under 8 writers", polarity: .prefersLarger, useScalingFactor: false)
    static let writersAlone = BenchmarkMetric.custom("writers PutItem/s, no backfill", polarity: .prefersLarger, useScalingFactor: false)
    static let writersDuringBackfill = BenchmarkMetric.custom("writers PutItem/s during backfill", polarity: .prefersLarger, useScalingFactor: false)
    static let writersPercent = BenchmarkMetric.custom("writers during backfill as % of alone", polarity: .prefersLarger, useScalingFactor: false)
}

nonisolated(unsafe) var indexFixture: IndexFixture!

/// Tells the writers of the backfill benchmark to stop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// A database of its own for the write-amplification benchmark: four tables with 0, 1, 5 and 20 GSIs.
final class IndexWriteTargets: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time; `next` is only touched by its closure.
    let shoal: Shoal.Database
    let path: String
    var next = 0
    static let gsiCounts = [0, 1, 5, 20]

    private init() throws {
        path = NSTemporaryDirectory() + "shoal-bench-gsi-writes-" + UUID().uuidString
        shoal = try Shoal.Database.open(at: path, options: DatabaseOptions(shardCount: 4, durability: .noSync))
    }

    /// The 20 ordered pairs of the fixture item's five key-typed attributes; table `Gsi<n>` has the first n.
    static func indexes(_ count: Int) -> [GlobalSecondaryIndex] {
        let attributes = ["email", "name", "age", "pk", "sk"]
        var pairs: [(String, String)] = []
        for p in attributes { for s in attributes where s != p { pairs.append((p, s)) } }
        return pairs.prefix(count).enumerated().map { GlobalSecondaryIndex("gsi\($0.offset)", partitionKey: $0.element.0, sortKey: $0.element.1) }
    }

    static func make() async throws -> IndexWriteTargets {
        let targets = try IndexWriteTargets()
        for count in gsiCounts {
            var request = CreateTableRequest(tableName: "Gsi\(count)", partitionKey: ("pk", .s), sortKey: ("sk", .n))
            if count > 0 {
                request.attributeDefinitions += [AttributeDefinition(attributeName: "email", attributeType: .s),
                                                 AttributeDefinition(attributeName: "name", attributeType: .s),
                                                 AttributeDefinition(attributeName: "age", attributeType: .n)]
                request.globalSecondaryIndexes = indexes(count)
                // Only define what the indexes use: DynamoDB rejects unused attribute definitions.
                let used = Set(request.globalSecondaryIndexes!.flatMap { $0.keySchema.map(\.attributeName) } + ["pk", "sk"])
                request.attributeDefinitions = request.attributeDefinitions.filter { used.contains($0.attributeName) }
            }
            _ = try await targets.shoal.createTable(request)
        }
        return targets
    }

    func remove() {
        shoal.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) var indexWriteTargets: IndexWriteTargets!

/// Runs `body(i)` for every `i` in `range` from `tasks` concurrent tasks.
func concurrently(_ range: Range<Int>, tasks: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for i in stride(from: range.lowerBound + task, to: range.upperBound, by: tasks) { try await body(i) }
            }
        }
        try await group.waitForAll()
    }
}

func registerIndexBenchmarks() {
    let openIndexFixture: Benchmark.BenchmarkSetupHook = { indexFixture = try await IndexFixture.open() }
    let closeIndexFixture: Benchmark.BenchmarkTeardownHook = { indexFixture.close() }

    Benchmark("PutItem with 0, 1, 5, 20 GSIs",
              configuration: .init(metrics: [.puts0, .puts1, .puts5, .puts20, .puts1Percent, .puts5Percent, .puts20Percent, .deletes0, .deletes20],
                                   warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark async throws in
        let t = indexWriteTargets!
        let count = 8_000
        let first = t.next
        t.next += count
        var puts: [Int: Int] = [:]
        var deletes: [Int: Int] = [:]
        let clock = ContinuousClock()
        for gsis in IndexWriteTargets.gsiCounts {
            let table = "Gsi\(gsis)"
            let put = try await clock.measure {
                try await concurrently(first..<(first + count), tasks: 16) { i in
                    _ = try await t.shoal.putItem(PutItemRequest(tableName: table, item: Fixture.item(i)))
                }
            }
            puts[gsis] = rate(count, put)
            // Delete the first half again (the fast path on the table without indexes).
            let delete = try await clock.measure {
                try await concurrently(first..<(first + count / 2), tasks: 16) { i in
                    _ = try await t.shoal.deleteItem(DeleteItemRequest(tableName: table, key: Fixture.key(i)))
                }
            }
            deletes[gsis] = rate(count / 2, delete)
        }
        benchmark.measurement(.puts0, puts[0]!)
        benchmark.measurement(.puts1, puts[1]!)
        benchmark.measurement(.puts5, puts[5]!)
        benchmark.measurement(.puts20, puts[20]!)
        benchmark.measurement(.puts1Percent, puts[1]! * 100 / max(puts[0]!, 1))
        benchmark.measurement(.puts5Percent, puts[5]! * 100 / max(puts[0]!, 1))
        benchmark.measurement(.puts20Percent, puts[20]! * 100 / max(puts[0]!, 1))
        benchmark.measurement(.deletes0, deletes[0]!)
        benchmark.measurement(.deletes20, deletes[20]!)
    }, setup: { indexWriteTargets = try await IndexWriteTargets.make() }, teardown: { indexWriteTargets.remove() })

    Benchmark("GSI Query 100 items on 1, 4, 16 shards vs LSI vs GRDB index",
              configuration: .init(metrics: [.gsiQuery1, .gsiQuery4, .gsiQuery16, .lsiQuery, .tableQuery, .sqliteIndexQuery, .sqliteIndexDecoded, .gsi4TimesGRDB],
                                   warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark async throws in
        let f = indexFixture!
        var rng = SplitMix(state: 11)
        let groups = (0..<1_000).map { _ in Int.random(in: 0..<IndexFixture.groups, using: &rng) }
        let partitions = (0..<1_000).map { _ in Int.random(in: 0..<(IndexFixture.itemCount / Fixture.partitionSize), using: &rng) }
        let expected = min(100, IndexFixture.itemCount)
        let clock = ContinuousClock()

        var gsi: [Int: Int] = [:]
        for shards in IndexFixture.shardCounts {
            let database = f.shoal[shards]!
            let elapsed = try await clock.measure {
                for g in groups {
                    let condition = KeyCondition(partitionKeyName: "grp", partitionKeyValue: .s("group-\(g)"))
                    let page = try await database.query(QueryRequest(tableName: IndexFixture.tableName, keyCondition: condition, indexName: "byGroup"))
                    precondition(page.count == expected, "GSI query returned \(page.count) items")
                    blackHole(page)
                }
            }
            gsi[shards] = rate(groups.count, elapsed)
        }
        let lsi = try await clock.measure {
            for p in partitions {
                let condition = KeyCondition(partitionKeyName: "pk", partitionKeyValue: .s("user-\(p)"))
                let page = try await f.shoal[4]!.query(QueryRequest(tableName: IndexFixture.tableName, keyCondition: condition, indexName: "byAge"))
                precondition(page.count == expected, "LSI query returned \(page.count) items")
                blackHole(page)
            }
        }
        // The same partitions read from the table itself: what the index read adds.
        let table = try await clock.measure {
            for p in partitions {
                let condition = KeyCondition(partitionKeyName: "pk", partitionKeyValue: .s("user-\(p)"))
                let page = try await f.shoal[4]!.query(QueryRequest(tableName: IndexFixture.tableName, keyCondition: condition))
                precondition(page.count == expected, "table query returned \(page.count) items")
                blackHole(page)
            }
        }
        let select = "SELECT item FROM kv WHERE grp = ? ORDER BY ts LIMIT 100"
        let grdb = try clock.measure {
            for g in groups {
                blackHole(try f.sqlite.read { db in try Data.fetchAll(db.cachedStatement(sql: select), arguments: ["group-\(g)"]) })
            }
        }
        let grdbDecoded = try clock.measure {
            for g in groups {
                let blobs = try f.sqlite.read { db in try Data.fetchAll(db.cachedStatement(sql: select), arguments: ["group-\(g)"]) }
                precondition(blobs.count == expected)
                blackHole(try blobs.map { try StorageFormat.item(fromValue: [UInt8]($0)) })
            }
        }
        benchmark.measurement(.gsiQuery1, gsi[1]!)
        benchmark.measurement(.gsiQuery4, gsi[4]!)
        benchmark.measurement(.gsiQuery16, gsi[16]!)
        benchmark.measurement(.lsiQuery, rate(partitions.count, lsi))
        benchmark.measurement(.tableQuery, rate(partitions.count, table))
        benchmark.measurement(.sqliteIndexQuery, rate(groups.count, grdb))
        let decodedRate = rate(groups.count, grdbDecoded)
        benchmark.measurement(.sqliteIndexDecoded, decodedRate)
        benchmark.measurement(.gsi4TimesGRDB, gsi[4]! * 100 / max(decodedRate, 1))
    }, setup: openIndexFixture, teardown: closeIndexFixture)

    Benchmark("GSI backfill over the index fixture, with and without writers",
              configuration: .init(metrics: [.backfillRate, .backfillUnderWrites, .writersAlone, .writersDuringBackfill, .writersPercent],
                                   warmupIterations: 0, maxDuration: .seconds(300), maxIterations: 3),
              closure: { benchmark async throws in
        let database = indexFixture.shoal[4]!
        let clock = ContinuousClock()
        let alone = try await backfill(database, clock: clock)
        benchmark.measurement(.backfillRate, rate(IndexFixture.itemCount, alone))

        // Writers alone for as long as the backfill took, then the same writers during a backfill.
        let writersAlone = try await runWriters(database, clock: clock, until: { clock.now >= $0 + alone })
        let done = StopFlag()
        async let writers = runWriters(database, clock: clock, until: { _ in done.isSet })
        let underWrites = try await backfill(database, clock: clock)
        done.set()
        let writersDuring = try await writers
        benchmark.measurement(.backfillUnderWrites, rate(IndexFixture.itemCount, underWrites))
        benchmark.measurement(.writersAlone, writersAlone)
        benchmark.measurement(.writersDuringBackfill, writersDuring)
        benchmark.measurement(.writersPercent, writersDuring * 100 / max(writersAlone, 1))
    }, setup: openIndexFixture, teardown: closeIndexFixture)
}

/// Creates a GSI on `email` over the loaded table, waits until it is ACTIVE, deletes it again,
/// and returns how long the backfill took.
private func backfill(_ database: Shoal.Database, clock: ContinuousClock) async throws -> Duration {
    let start = clock.now
    _ = try await database.updateTable(UpdateTableRequest(
        tableName: IndexFixture.tableName,
        attributeDefinitions: [AttributeDefinition(attributeName: "email", attributeType: .s)],
        globalSecondaryIndexUpdates: [.create(GlobalSecondaryIndex("byEmail", partitionKey: "email"))]))
    while try database.describeTable(IndexFixture.tableName).table.globalSecondaryIndexes?
        .first(where: { $0.indexName == "byEmail" })?.indexStatus != .active {
        try await Task.sleep(for: .milliseconds(5))
    }
    let elapsed = clock.now - start
    let size = try database.describeTable(IndexFixture.tableName).table.globalSecondaryIndexes!.first { $0.indexName == "byEmail" }!.itemCount
    precondition(size >= IndexFixture.itemCount, "the backfilled index holds \(size) entries")
    _ = try await database.updateTable(UpdateTableRequest(tableName: IndexFixture.tableName,
                                                          globalSecondaryIndexUpdates: [.delete(indexName: "byEmail")]))
    return elapsed
}

/// 8 tasks putting new items (beyond the fixture's range) until `until(start)` holds; returns
/// their PutItem rate and deletes the items again so the fixture keeps its size.
private func runWriters(_ database: Shoal.Database, clock: ContinuousClock,
                        until stop: @escaping @Sendable (ContinuousClock.Instant) -> Bool) async throws -> Int {
    let start = clock.now
    let written = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
        for task in 0..<8 {
            group.addTask {
                var n = 0
                while !stop(start) {
                    let i = IndexFixture.itemCount + task * 10_000_000 + n
                    _ = try await database.putItem(PutItemRequest(tableName: IndexFixture.tableName, item: IndexFixture.item(i)))
                    n += 1
                }
                return (task, n)
            }
        }
        var counts = [Int](repeating: 0, count: 8)
        for try await (task, n) in group { counts[task] = n }
        return counts
    }
    let elapsed = clock.now - start
    let base = IndexFixture.itemCount
    try await concurrently(0..<8, tasks: 8) { task in
        var keys = (0..<written[task]).map { Fixture.key(base + task * 10_000_000 + $0) }
        while !keys.isEmpty {
            let batch = keys.prefix(25).map { WriteRequest.delete(key: $0) }
            keys.removeFirst(batch.count)
            _ = try await database.batchWriteItem(BatchWriteItemRequest(requestItems: [IndexFixture.tableName: batch]))
        }
    }
    return rate(written.reduce(0, +), elapsed)
}
