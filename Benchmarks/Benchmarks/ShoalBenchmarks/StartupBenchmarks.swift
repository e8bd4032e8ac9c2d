import Benchmark
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shoal

extension BenchmarkMetric {
    static let embeddedOpenMicros = BenchmarkMetric.custom("in-memory open to first answered GetItem, µs", polarity: .prefersSmaller,
                                                           useScalingFactor: false)
    static let serveStartMillis = BenchmarkMetric.custom("shoal serve --in-memory to first answered request, ms", polarity: .prefersSmaller,
                                                         useScalingFactor: false)
    static let serveDiskStartMillis = BenchmarkMetric.custom("shoal serve --data (new directory) to first answered request, ms",
                                                             polarity: .prefersSmaller, useScalingFactor: false)
}

/// The `shoal` executable to start: `SHOAL_BIN`, else the root package's release build.
private func shoalBinary() throws -> String {
    if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"] { return explicit }
    for candidate in [".build/release/shoal", "../.build/release/shoal"] where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    throw ShoalError.internalError("build the server first (swift build -c release at the root) or set SHOAL_BIN")
}

/// A free loopback port.
private func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ShoalError.internalError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Starts `shoal serve` with `arguments` and times it until `GET /` answers. - Returns: milliseconds.
private func timeToFirstAnswer(_ arguments: [String]) async throws -> Int {
    let port = try freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try shoalBinary())
    process.arguments = ["serve", "--port", String(port), "--log-level", "warning"] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    let started = ContinuousClock.now
    try process.run()
    defer {
        process.terminate()
        process.waitUntilExit()
    }
    let url = URL(string: "http://127.0.0.1:\(port)/")!
    while ContinuousClock.now - started < .seconds(30) {
        if let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 {
            let elapsed = (ContinuousClock.now - started).components
            return Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)
        }
        try await Task.sleep(for: .milliseconds(1))
    }
    throw ShoalError.internalError("shoal serve did not answer within 30 s")
}

func registerStartupBenchmarks() {
    Benchmark("Start-up: in-memory database open to first answered GetItem (embedded)",
              configuration: .init(metrics: [.embeddedOpenMicros], warmupIterations: 2, maxDuration: .seconds(30), maxIterations: 20),
              closure: { benchmark async throws in
        let clock = ContinuousClock()
        let started = clock.now
        let db = try Database.open(inMemory: DatabaseOptions(shardCount: 4))
        _ = try await db.createTable(CreateTableRequest(tableName: "Start", partitionKey: ("pk", .s)))
        try await db.table("Start").put(["pk": "a"])
        guard try await db.table("Start").get(["pk": "a"]) != nil else { throw ShoalError.internalError("the item is missing") }
        let elapsed = (clock.now - started).components
        benchmark.measurement(.embeddedOpenMicros, Int(elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000))
        await db.shutdown()
    })

    Benchmark("Start-up: shoal serve to first answered request",
              configuration: .init(metrics: [.serveStartMillis, .serveDiskStartMillis], warmupIterations: 1, maxDuration: .seconds(120),
                                   maxIterations: 10),
              closure: { benchmark async throws in
        benchmark.measurement(.serveStartMillis, try await timeToFirstAnswer(["--in-memory"]))
        let directory = NSTemporaryDirectory() + "shoal-bench-start-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        benchmark.measurement(.serveDiskStartMillis, try await timeToFirstAnswer(["--data", directory, "--durability", "nosync"]))
    })
}
