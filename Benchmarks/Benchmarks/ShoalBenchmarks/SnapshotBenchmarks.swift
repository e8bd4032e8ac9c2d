import Benchmark
import Foundation
import Shoal

extension BenchmarkMetric {
    static let rollback100Micros = BenchmarkMetric.custom("rollback of 100 changes, 100K items, µs", polarity: .prefersSmaller,
                                                          useScalingFactor: false)
    static let rollback10KMicros = BenchmarkMetric.custom("rollback of 10,000 changes, 100K items, µs", polarity: .prefersSmaller,
                                                          useScalingFactor: false)
    static let reopenMicros = BenchmarkMetric.custom("baseline: CreateSnapshot (hold, close, reopen), 100K items, µs", polarity: .prefersSmaller,
                                                     useScalingFactor: false)
    static let snapshotAndRollbackMicros = BenchmarkMetric.custom("snapshot + rollback, 10K items, µs", polarity: .prefersSmaller,
                                                                  useScalingFactor: false)
    static let journaledPutRate = BenchmarkMetric.custom("PutItem/s while a snapshot exists", polarity: .prefersLarger, useScalingFactor: false)
    static let plainPutRate = BenchmarkMetric.custom("PutItem/s without snapshots (baseline)", polarity: .prefersLarger, useScalingFactor: false)
    static let journaledPercent = BenchmarkMetric.custom("journaled / plain PutItem rate, %", polarity: .prefersLarger, useScalingFactor: false)
}

/// An in-memory database of `count` items behind a lifecycle that reopens it, as the server's does.
private func snapshotFixture(items count: Int) async throws -> DatabaseLifecycle {
    let database = try Database.open(inMemory: DatabaseOptions(shardCount: 4))
    let lifecycle = DatabaseLifecycle(database, path: database.path, durability: .noSync, reopen: DatabaseLifecycle.sameDirectory)
    _ = try await database.createTable(CreateTableRequest(tableName: "Items", partitionKey: ("pk", .s)))
    for start in stride(from: 0, to: count, by: 5_000) {
        let items: [Item] = (start..<min(count, start + 5_000)).map { ["pk": .s("k\($0)"), "payload": .s(String(repeating: "x", count: 100)), "n": .n(Number($0))] }
        _ = try await database.bulkPut(tableName: "Items", items: items)
    }
    return lifecycle
}

private func changes(_ lifecycle: DatabaseLifecycle, _ count: Int, round: Int) async throws {
    let table = lifecycle.current.table("Items")
    for i in 0..<count {
        if i % 2 == 0 {
            try await table.put(["pk": .s("k\((i * 7919 + round) % 100_000)"), "n": .n(Number(-i))])
        } else {
            _ = try await table.delete(["pk": .s("k\((i * 104_729 + round) % 100_000)")])
        }
    }
}

private func micros(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
}

func registerSnapshotBenchmarks() {
    let configuration = Benchmark.Configuration(metrics: [.rollback100Micros, .rollback10KMicros, .reopenMicros],
                                                warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 10)
    Benchmark("Snapshots: rollback on a 100K-item in-memory database (4 shards)", configuration: configuration,
              closure: { benchmark async throws in
        let lifecycle = try await snapshotFixture(items: 100_000)
        defer { Task { await lifecycle.current.shutdown() } }
        try await lifecycle.createSnapshot(named: "base")
        for round in 0..<5 {
            try await changes(lifecycle, 100, round: round)
            let small = try await lifecycle.restoreSnapshot(named: "base")
            benchmark.measurement(.rollback100Micros, micros(small.duration))
            try await changes(lifecycle, 10_000, round: round)
            let large = try await lifecycle.restoreSnapshot(named: "base")
            benchmark.measurement(.rollback10KMicros, micros(large.duration))
            // Baseline: what any exclusive operation pays at least (requests held, close, open).
            try await lifecycle.deleteSnapshot(named: "base")
            let clock = ContinuousClock()
            let started = clock.now
            try await lifecycle.createSnapshot(named: "base")
            benchmark.measurement(.reopenMicros, micros(clock.now - started))
        }
        guard try await lifecycle.current.table("Items").scan().count == 100_000 else { throw ShoalError.internalError("rollback lost items") }
    })

    Benchmark("Snapshots: snapshot + rollback of a 10K-item in-memory database (4 shards)",
              configuration: .init(metrics: [.snapshotAndRollbackMicros], warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 20),
              closure: { benchmark async throws in
        let lifecycle = try await snapshotFixture(items: 10_000)
        defer { Task { await lifecycle.current.shutdown() } }
        for round in 0..<10 {
            let clock = ContinuousClock()
            var elapsed = Duration.zero
            var started = clock.now
            try await lifecycle.createSnapshot(named: "s")
            elapsed += clock.now - started
            try await changes(lifecycle, 100, round: round)
            started = clock.now
            try await lifecycle.restoreSnapshot(named: "s")
            elapsed += clock.now - started
            benchmark.measurement(.snapshotAndRollbackMicros, micros(elapsed))
            try await lifecycle.deleteSnapshot(named: "s")
        }
    })

    Benchmark("Snapshots: PutItem cost of the undo journal (same process, in-memory, 4 shards)",
              configuration: .init(metrics: [.journaledPutRate, .plainPutRate, .journaledPercent], warmupIterations: 1,
                                   maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark async throws in
        let lifecycle = try await snapshotFixture(items: 10_000)
        defer { Task { await lifecycle.current.shutdown() } }
        let clock = ContinuousClock()
        func rate(_ round: Int) async throws -> Int {
            let table = lifecycle.current.table("Items")
            let started = clock.now
            for i in 0..<20_000 { try await table.put(["pk": .s("w\(round)-\(i)"), "n": .n(Number(i))]) }
            let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
            return Int(20_000 / seconds)
        }
        for round in 0..<3 {
            let plain = try await rate(round * 2)
            try await lifecycle.createSnapshot(named: "j")
            let journaled = try await rate(round * 2 + 1)
            try await lifecycle.deleteSnapshot(named: "j")
            benchmark.measurement(.plainPutRate, plain)
            benchmark.measurement(.journaledPutRate, journaled)
            benchmark.measurement(.journaledPercent, journaled * 100 / max(1, plain))
        }
    })
}
