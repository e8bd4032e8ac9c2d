import AsyncHTTPClient
import Benchmark
import Foundation
import Hummingbird
import NIOCore
@_spi(Benchmarks) import Shoal
import ShoalServer
import Synchronization

extension BenchmarkMetric {
    static let functionP50 = BenchmarkMetric.custom("write-to-function p50 (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    static let functionP99 = BenchmarkMetric.custom("write-to-function p99 (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    static let functionRate = BenchmarkMetric.custom("records to the function/s", polarity: .prefersLarger, useScalingFactor: false)
}

/// When each record reached the function, as nanoseconds after its write was issued.
final class LatencyLog: Sendable {
    private let samples = Mutex<[UInt64]>([])

    /// Records the records of a Lambda event (JSON) or of a typed batch; `now` is the function's start.
    func add(sentNanos: [UInt64], now: UInt64) {
        samples.withLock { $0 += sentNanos.map { now &- $0 } }
    }

    var count: Int { samples.withLock { $0.count } }
    var sorted: [UInt64] { samples.withLock { $0.sorted() } }

    /// The `sent` stamps of a Lambda DynamoDB event.
    static func stamps(event bytes: [UInt8]) -> [UInt64] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let records = json["Records"] as? [[String: Any]] else { return [] }
        return records.compactMap { record in
            ((((record["dynamodb"] as? [String: Any])?["NewImage"] as? [String: Any])?["sent"] as? [String: Any])?["N"] as? String)
                .flatMap(UInt64.init)
        }
    }
}

enum TriggerBenchKind: String, CaseIterable {
    case inProcess = "in-process closure"
    case webhook = "webhook"
    case runtimeAPI = "Lambda Runtime API"
}

/// A streamed table, a mapping from it to a function of one kind, and what the function needs
/// (an HTTP receiver for the webhook; a polling runtime client for the Runtime API), all in this process.
final class TriggerBenchEnvironment: Sendable {
    let db: Shoal.Database
    let path: String
    let log = LatencyLog()
    let tasks = Mutex<[Task<Void, any Error>]>([])

    static let webhookPort = 19_411
    static let runtimePort = 19_412

    init(kind: TriggerBenchKind, durability: Durability) async throws {
        path = NSTemporaryDirectory() + "shoal-bench-triggers-" + UUID().uuidString
        db = try Shoal.Database.open(at: path, options: DatabaseOptions(shardCount: 4, durability: durability))
        var request = CreateTableRequest(tableName: "Fired", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.streamSpecification = .enabled(.newImage)
        _ = try await db.createTable(request)
        let log = self.log
        switch kind {
        case .inProcess:
            db.registerFunction("f") { batch in
                let now = DispatchTime.now().uptimeNanoseconds
                log.add(sentNanos: batch.records.compactMap { record in
                    if case .n(let sent)? = record.newImage?["sent"] { return UInt64(sent.description) } else { return nil }
                }, now: now)
                return .success
            }
        case .webhook:
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let now = DispatchTime.now().uptimeNanoseconds
                let body = try await request.body.collect(upTo: 8 << 20)
                log.add(sentNanos: LatencyLog.stamps(event: Array(body.readableBytesView)), now: now)
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: TriggerBenchEnvironment.webhookPort)))
            tasks.withLock { $0.append(Task { try await app.run() }) }
            db.registerFunction("f", timeout: .seconds(30),
                                WebhookFunction(url: "http://127.0.0.1:\(TriggerBenchEnvironment.webhookPort)/hook", timeout: .seconds(30), region: "us-east-1"))
        case .runtimeAPI:
            let function = RuntimeAPIFunction(name: "f", timeout: .seconds(30), region: "us-east-1")
            db.registerFunction("f", timeout: .seconds(30), function)
            let app = RuntimeAPIServer.application(function: function, host: "127.0.0.1", port: TriggerBenchEnvironment.runtimePort,
                                                   logger: .init(label: "bench"))
            tasks.withLock { $0.append(Task { try await app.run() }) }
            // A runtime client as awslambdaric is: next, handle, respond, next…
            tasks.withLock { $0.append(Task {
                try await Task.sleep(for: .milliseconds(200))
                let base = "http://127.0.0.1:\(TriggerBenchEnvironment.runtimePort)/2018-06-01/runtime/invocation/"
                while !Task.isCancelled {
                    let next = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "next"), timeout: .seconds(3600))
                    let now = DispatchTime.now().uptimeNanoseconds
                    let body = try await next.body.collect(upTo: 8 << 20)
                    guard let id = next.headers.first(name: "Lambda-Runtime-Aws-Request-Id") else { continue }
                    log.add(sentNanos: LatencyLog.stamps(event: Array(body.readableBytesView)), now: now)
                    var answer = HTTPClientRequest(url: base + id + "/response")
                    answer.method = .POST
                    answer.body = .bytes(ByteBuffer(string: "{}"))
                    _ = try await HTTPClient.shared.execute(answer, timeout: .seconds(30))
                }
            }) }
        }
        try await Task.sleep(for: .milliseconds(300))
        let arn = try db.describeTable("Fired").table.latestStreamArn!
        _ = try await db.createEventSourceMapping(CreateEventSourceMappingRequest(functionName: "f", eventSourceArn: arn, startingPosition: .latest))
    }

    func remove() async {
        for task in tasks.withLock({ $0 }) { task.cancel() }
        await db.stopTriggers()
        db.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

func registerTriggerBenchmarks() {
    // Every kind with nosync; the in-process closure also with sync (checkpoints are durable then too).
    let cases = TriggerBenchKind.allCases.map { ($0, Durability.noSync) } + [(TriggerBenchKind.inProcess, Durability.sync)]
    for (kind, durability) in cases {
        Benchmark("Write-to-function latency at 5,000 writes/s (\(kind.rawValue), \(durability.rawValue))",
                  configuration: .init(metrics: [.functionP50, .functionP99, .functionRate], warmupIterations: 0,
                                       maxDuration: .seconds(60), maxIterations: 3),
                  closure: { benchmark async throws in
            let environment = try await TriggerBenchEnvironment(kind: kind, durability: durability)
            let total = 10_000
            // 5 puts every millisecond, each stamped with the time it was issued.
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tick in 0..<(total / 5) {
                    try await ContinuousClock().sleep(until: start + .microseconds(tick * 1000))
                    for j in 0..<5 {
                        let i = tick * 5 + j
                        group.addTask {
                            var item = Fixture.item(i)
                            item["sent"] = .n(Number(Int(DispatchTime.now().uptimeNanoseconds)))
                            _ = try await environment.db.putItem(PutItemRequest(tableName: "Fired", item: item))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while environment.log.count < total && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let elapsed = ContinuousClock.now - start
            let latencies = environment.log.sorted
            precondition(latencies.count == total, "the function saw \(latencies.count) of \(total) records")
            benchmark.measurement(.functionP50, Int(latencies[latencies.count / 2] / 1000))
            benchmark.measurement(.functionP99, Int(latencies[latencies.count * 99 / 100] / 1000))
            benchmark.measurement(.functionRate, rate(latencies.count, elapsed))
            await environment.remove()
        })
    }
}
