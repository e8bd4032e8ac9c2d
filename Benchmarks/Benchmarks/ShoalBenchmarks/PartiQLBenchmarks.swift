import Benchmark
import Foundation
@_spi(Benchmarks) import Shoal

extension BenchmarkMetric {
    static let partiQLRate = BenchmarkMetric.custom("PartiQL SELECT ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let apiRate = BenchmarkMetric.custom("equivalent API call ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let percentOfAPI = BenchmarkMetric.custom("PartiQL as % of the API call", polarity: .prefersLarger, useScalingFactor: false)
}

/// PartiQL SELECTs against the GetItem and Query they plan to, on the same keys in the same
/// iteration: the statement is parsed, planned and its parameters bound on every call.
func registerPartiQLBenchmarks(openFixture: @escaping Benchmark.BenchmarkSetupHook) {
    let configuration = Benchmark.Configuration(metrics: [.partiQLRate, .apiRate, .percentOfAPI], warmupIterations: 1,
                                                maxDuration: .seconds(20), maxIterations: 5)
    func report(_ benchmark: Benchmark, count: Int, partiQL: Duration, api: Duration) {
        let (p, a) = (rate(count, partiQL), rate(count, api))
        benchmark.measurement(.partiQLRate, p)
        benchmark.measurement(.apiRate, a)
        benchmark.measurement(.percentOfAPI, p * 100 / max(a, 1))
    }

    Benchmark("PartiQL SELECT by full key vs GetItem", configuration: configuration, closure: { benchmark async throws in
        let f = fixture!
        var rng = SplitMix(state: 42)
        let keys = (0..<20_000).map { _ in Fixture.key(Int.random(in: 0..<Fixture.itemCount, using: &rng)) }
        let statement = "SELECT * FROM \"\(Fixture.tableName)\" WHERE pk = ? AND sk = ?"
        let clock = ContinuousClock()
        let partiQL = try await clock.measure {
            for key in keys {
                let page = try await f.shoal.execute(statement, parameters: [key["pk"]!, key["sk"]!])
                precondition(page.items.count == 1)
                blackHole(page)
            }
        }
        let api = try await clock.measure {
            for key in keys {
                blackHole(try await f.shoal.getItem(GetItemRequest(tableName: Fixture.tableName, key: key)).item)
            }
        }
        report(benchmark, count: keys.count, partiQL: partiQL, api: api)
    }, setup: openFixture)

    Benchmark("PartiQL SELECT of a partition's 100 items vs Query", configuration: configuration, closure: { benchmark async throws in
        let f = fixture!
        var rng = SplitMix(state: 7)
        let partitions = (0..<2_000).map { _ in Int.random(in: 0..<(Fixture.itemCount / Fixture.partitionSize), using: &rng) }
        let statement = "SELECT * FROM \"\(Fixture.tableName)\" WHERE pk = ?"
        let clock = ContinuousClock()
        let partiQL = try await clock.measure {
            for p in partitions {
                let page = try await f.shoal.execute(statement, parameters: [.s("user-\(p)")])
                precondition(page.items.count == Fixture.partitionSize)
                blackHole(page)
            }
        }
        let api = try await clock.measure {
            for p in partitions {
                let condition = KeyCondition(partitionKeyName: "pk", partitionKeyValue: .s("user-\(p)"))
                let page = try await f.shoal.query(QueryRequest(tableName: Fixture.tableName, keyCondition: condition))
                precondition(page.count == Fixture.partitionSize)
                blackHole(page)
            }
        }
        report(benchmark, count: partitions.count, partiQL: partiQL, api: api)
    }, setup: openFixture)
}
