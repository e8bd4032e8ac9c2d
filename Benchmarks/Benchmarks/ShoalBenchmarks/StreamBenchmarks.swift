import Benchmark
import Foundation
@_spi(Benchmarks) import Shoal

extension BenchmarkMetric {
    static let putsStreamOff = BenchmarkMetric.custom("PutItem/s, stream off", polarity: .prefersLarger, useScalingFactor: false)
    static let putsStreamOn = BenchmarkMetric.custom("PutItem/s, stream on (NEW_AND_OLD_IMAGES)", polarity: .prefersLarger, useScalingFactor: false)
    static let streamOnPercent = BenchmarkMetric.custom("stream on as % of off", polarity: .prefersLarger, useScalingFactor: false)
    static let latencyP50 = BenchmarkMetric.custom("put-to-subscriber p50 (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    static let latencyP99 = BenchmarkMetric.custom("put-to-subscriber p99 (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    static let deliveredRate = BenchmarkMetric.custom("records delivered/s", polarity: .prefersLarger, useScalingFactor: false)
    static let getRecordsRate = BenchmarkMetric.custom("GetRecords records/s", polarity: .prefersLarger, useScalingFactor: false)
}

/// Two tables in a database of their own, one with a NEW_AND_OLD_IMAGES stream and one without.
final class StreamWriteTargets: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time; `next` is only touched by its closure.
    let shoal: Shoal.Database
    let path: String
    var next = 0

    private init(durability: Durability) throws {
        path = NSTemporaryDirectory() + "shoal-bench-stream-" + UUID().uuidString
        shoal = try Shoal.Database.open(at: path, options: DatabaseOptions(shardCount: 4, durability: durability))
    }

    static func make(durability: Durability) async throws -> StreamWriteTargets {
        let targets = try StreamWriteTargets(durability: durability)
        _ = try await targets.shoal.createTable(CreateTableRequest(tableName: "StreamOff", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        var on = CreateTableRequest(tableName: "StreamOn", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        on.streamSpecification = .enabled(.newAndOldImages)
        _ = try await targets.shoal.createTable(on)
        return targets
    }

    func remove() {
        shoal.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) var streamWriteTargets: StreamWriteTargets!

/// A one-shard database whose streamed table holds `Fixture.itemCount` records in its stream.
struct StreamFixture {
    static let directory = NSTemporaryDirectory() + "shoal-bench-stream-fixture-v\(StorageFormat.version)-\(Fixture.itemCount)"

    static func open() async throws -> Shoal.Database {
        try await buildOnce(directory) {
            let db = try Shoal.Database.open(at: directory, options: DatabaseOptions(shardCount: 1, durability: .noSync))
            var request = CreateTableRequest(tableName: "Streamed", partitionKey: ("pk", .s), sortKey: ("sk", .n))
            request.streamSpecification = .enabled(.newImage)
            _ = try await db.createTable(request)
            try await concurrently(0..<(Fixture.itemCount / 25), tasks: 8) { batch in
                let writes = (batch * 25..<(batch * 25 + 25)).map { WriteRequest.put(Fixture.item($0)) }
                _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Streamed": writes]))
            }
            db.close()
        }
        return try Shoal.Database.open(at: directory, options: DatabaseOptions(shardCount: 1, durability: .noSync))
    }
}

nonisolated(unsafe) var streamFixture: Shoal.Database!

func registerStreamBenchmarks() {
    for durability in [Durability.noSync, .sync] {
        let label = durability == .sync ? "sync" : "nosync"
        Benchmark("PutItem with the stream on vs off (\(label))",
                  configuration: .init(metrics: [.putsStreamOff, .putsStreamOn, .streamOnPercent], warmupIterations: 1,
                                       maxDuration: .seconds(60), maxIterations: 5),
                  closure: { benchmark async throws in
            let t = streamWriteTargets!
            let count = 8_000
            let first = t.next
            t.next += count
            let clock = ContinuousClock()
            var rates: [String: Int] = [:]
            for table in ["StreamOff", "StreamOn"] {
                let elapsed = try await clock.measure {
                    try await concurrently(first..<(first + count), tasks: 16) { i in
                        _ = try await t.shoal.putItem(PutItemRequest(tableName: table, item: Fixture.item(i)))
                    }
                }
                rates[table] = rate(count, elapsed)
            }
            benchmark.measurement(.putsStreamOff, rates["StreamOff"]!)
            benchmark.measurement(.putsStreamOn, rates["StreamOn"]!)
            benchmark.measurement(.streamOnPercent, rates["StreamOn"]! * 100 / max(rates["StreamOff"]!, 1))
        }, setup: { streamWriteTargets = try await StreamWriteTargets.make(durability: durability) },
           teardown: { streamWriteTargets.remove() })
    }

    Benchmark("Put-to-subscriber latency at 5,000 writes/s",
              configuration: .init(metrics: [.latencyP50, .latencyP99, .deliveredRate], warmupIterations: 0,
                                   maxDuration: .seconds(60), maxIterations: 3),
              closure: { benchmark async throws in
        let t = streamWriteTargets!
        let total = 10_000
        let first = t.next
        t.next += total
        let subscriber = Task { () throws -> [UInt64] in
            var latencies: [UInt64] = []
            latencies.reserveCapacity(total)
            for try await batch in t.shoal.changes(table: "StreamOn", from: .latest) {
                let now = DispatchTime.now().uptimeNanoseconds
                for record in batch {
                    if case .n(let sent)? = record.newImage?["sent"], let nanos = UInt64(sent.description) {
                        latencies.append(now - nanos)
                    }
                }
                if latencies.count >= total { break }
            }
            return latencies
        }
        try await Task.sleep(for: .milliseconds(100))
        // 5 puts every millisecond, each stamped with the time it was issued.
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tick in 0..<(total / 5) {
                try await ContinuousClock().sleep(until: start + .microseconds(tick * 1000))
                for j in 0..<5 {
                    let i = first + tick * 5 + j
                    group.addTask {
                        var item = Fixture.item(i)
                        item["sent"] = .n(Number(Int(DispatchTime.now().uptimeNanoseconds)))
                        _ = try await t.shoal.putItem(PutItemRequest(tableName: "StreamOn", item: item))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let latencies = try await subscriber.value.sorted()
        benchmark.measurement(.latencyP50, Int(latencies[latencies.count / 2] / 1000))
        benchmark.measurement(.latencyP99, Int(latencies[latencies.count * 99 / 100] / 1000))
        benchmark.measurement(.deliveredRate, rate(latencies.count, elapsed))
    }, setup: { streamWriteTargets = try await StreamWriteTargets.make(durability: .noSync) },
       teardown: { streamWriteTargets.remove() })

    Benchmark("GetRecords over a shard of the stream fixture",
              configuration: .init(metrics: [.getRecordsRate], warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark async throws in
        let db = streamFixture!
        let arn = try db.describeTable("Streamed").table.latestStreamArn!
        let shard = try db.describeStream(streamArn: arn).shards[0].shardId
        var iterator: String? = try db.getShardIterator(streamArn: arn, shardId: shard, type: .trimHorizon)
        var count = 0
        let elapsed = try ContinuousClock().measure {
            while let current = iterator {
                let page = try db.getRecords(shardIterator: current, limit: 1000)
                count += page.records.count
                blackHole(page)
                iterator = page.records.isEmpty ? nil : page.nextShardIterator
            }
        }
        precondition(count == Fixture.itemCount, "read \(count) records")
        benchmark.measurement(.getRecordsRate, rate(count, elapsed))
    }, setup: { streamFixture = try await StreamFixture.open() }, teardown: { streamFixture.close() })
}
