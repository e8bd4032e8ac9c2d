import Benchmark
import Foundation
import Shoal
import ShoalServer

extension BenchmarkMetric {
    static let backupRate = BenchmarkMetric.custom("backup MB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let copyRate = BenchmarkMetric.custom("cp MB/s", polarity: .prefersLarger, useScalingFactor: false)
    static let backupPercent = BenchmarkMetric.custom("backup as % of cp", polarity: .prefersLarger, useScalingFactor: false)
    static let backupSize = BenchmarkMetric.custom("backup size as % of the files", polarity: .prefersSmaller, useScalingFactor: false)
    static let bulkLoadRate = BenchmarkMetric.custom("BatchWriteItem load items/s, 8 tasks", polarity: .prefersLarger, useScalingFactor: false)
    static let exportRate = BenchmarkMetric.custom("export items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let importRate = BenchmarkMetric.custom("import items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let exportPercent = BenchmarkMetric.custom("export as % of BatchWriteItem load", polarity: .prefersLarger, useScalingFactor: false)
    static let importPercent = BenchmarkMetric.custom("import as % of BatchWriteItem load", polarity: .prefersLarger, useScalingFactor: false)
    static let reshardMoved = BenchmarkMetric.custom("items moved, hundredths of % (ideal 2000)", polarity: .prefersSmaller, useScalingFactor: false)
    static let reshardSeconds = BenchmarkMetric.custom("reshard seconds", polarity: .prefersSmaller, useScalingFactor: false)
    static let reshardRate = BenchmarkMetric.custom("reshard items examined/s", polarity: .prefersLarger, useScalingFactor: false)
    static let writesBefore = BenchmarkMetric.custom("PutItem/s before (8 writers)", polarity: .prefersLarger, useScalingFactor: false)
    static let writesDuring = BenchmarkMetric.custom("PutItem/s during the reshard", polarity: .prefersLarger, useScalingFactor: false)
    static let writesAfter = BenchmarkMetric.custom("PutItem/s after", polarity: .prefersLarger, useScalingFactor: false)
    static let longestWait = BenchmarkMetric.custom("longest PutItem, ms", polarity: .prefersSmaller, useScalingFactor: false)
    static let heldFor = BenchmarkMetric.custom("requests held, ms", polarity: .prefersSmaller, useScalingFactor: false)
}

/// Puts that completed, with when they completed and the longest one (ms).
private final class WriteLog: @unchecked Sendable {
    private let lock = NSLock()
    private var completions: [ContinuousClock.Instant] = []
    private var longest: Duration = .zero

    func record(_ started: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        lock.withLock {
            completions.append(now)
            longest = max(longest, now - started)
        }
    }

    func count(from: ContinuousClock.Instant, to: ContinuousClock.Instant) -> Int {
        lock.withLock { completions.filter { $0 >= from && $0 < to }.count }
    }

    var longestMilliseconds: Int { lock.withLock { Int(longest.components.seconds * 1000 + longest.components.attoseconds / 1_000_000_000_000_000) } }
}

/// Bytes of the regular files under `path`.
private func bytesUnder(_ path: String) -> Int {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    while let relative = enumerator.nextObject() as? String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
        if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
    }
    return total
}

private func megabytesPerSecond(_ bytes: Int, _ duration: Duration) -> Int {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return Int(Double(bytes) / 1_048_576 / max(seconds, 1e-9))
}

/// A fresh 4-shard directory loaded with the fixture's items through BatchWriteItem (8 tasks of
/// 25-item batches), timed: the bulk-load baseline.
final class LoadedDirectory: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "shoal-bench-ops-" + UUID().uuidString
    var loadRate = 0

    func load() async throws -> Shoal.Database {
        let db = try Shoal.Database.open(at: path + "/db", options: DatabaseOptions(shardCount: 4, durability: .noSync))
        _ = try await db.createTable(CreateTableRequest(tableName: "Loaded", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await concurrently(0..<(Fixture.itemCount / 25), tasks: 8) { batch in
                let writes = (batch * 25..<(batch * 25 + 25)).map { WriteRequest.put(Fixture.item($0)) }
                _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Loaded": writes]))
            }
        }
        loadRate = rate(Fixture.itemCount, elapsed)
        return db
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

nonisolated(unsafe) var loadedDirectory: LoadedDirectory!

func registerOperationsBenchmarks() {

    Benchmark("Backup of the fixture directory vs cp of its files",
              configuration: .init(metrics: [.backupRate, .copyRate, .backupPercent, .backupSize], warmupIterations: 0,
                                   maxDuration: .seconds(600), maxIterations: 3),
              closure: { benchmark async throws in
        let f = fixture!
        let source = Fixture.directory + "/shoal"
        let target = NSTemporaryDirectory() + "shoal-bench-backup-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: target) }
        let clock = ContinuousClock()
        var backupBytes = 0
        let backup = try await clock.measure { backupBytes = try await f.shoal.backUpDirectory(to: target + "/backup").bytes }
        let files = bytesUnder(source) - bytesUnder(source + "/backups")
        let copy = try clock.measure {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/cp")
            process.arguments = ["-r", source, target + "/cp"]
            try process.run()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "cp failed")
        }
        // Both rates per byte of the live files: the backup reads them all, writes them compacted.
        let backupRate = megabytesPerSecond(files, backup)
        let copyRate = megabytesPerSecond(files, copy)
        benchmark.measurement(.backupRate, backupRate)
        benchmark.measurement(.copyRate, copyRate)
        benchmark.measurement(.backupPercent, backupRate * 100 / max(copyRate, 1))
        benchmark.measurement(.backupSize, backupBytes * 100 / max(files, 1))
    }, setup: { fixture = try await Fixture.open() })

    Benchmark("Export and import of the fixture's items vs a BatchWriteItem load",
              configuration: .init(metrics: [.bulkLoadRate, .exportRate, .importRate, .exportPercent, .importPercent],
                                   warmupIterations: 0, maxDuration: .seconds(900), maxIterations: 1),
              closure: { benchmark async throws in
        let directory = loadedDirectory!
        let db = try await directory.load()
        defer { db.close() }
        let clock = ContinuousClock()
        let exportPath = directory.path + "/export"
        var exported = 0
        let export = try await clock.measure {
            exported = try await TableExport.run(from: .local(db), table: "Loaded", to: exportPath, format: .dynamodb).items
        }
        precondition(exported == Fixture.itemCount, "exported \(exported)")
        var options = TableImport.Options(table: "Imported", source: exportPath)
        options.createTable = true
        var imported = 0
        let load = try await clock.measure { imported = try await TableImport.run(into: .local(db), options).imported }
        precondition(imported == Fixture.itemCount, "imported \(imported)")
        let exportRate = rate(exported, export)
        let importRate = rate(imported, load)
        benchmark.measurement(.bulkLoadRate, directory.loadRate)
        benchmark.measurement(.exportRate, exportRate)
        benchmark.measurement(.importRate, importRate)
        benchmark.measurement(.exportPercent, exportRate * 100 / max(directory.loadRate, 1))
        benchmark.measurement(.importPercent, importRate * 100 / max(directory.loadRate, 1))
    }, setup: { loadedDirectory = LoadedDirectory() }, teardown: { loadedDirectory.remove() })

    Benchmark("Reshard 4 to 5 shards of the fixture's items (offline)",
              configuration: .init(metrics: [.reshardMoved, .reshardSeconds, .reshardRate], warmupIterations: 0,
                                   maxDuration: .seconds(900), maxIterations: 1),
              closure: { benchmark async throws in
        let directory = loadedDirectory!
        let db = try await directory.load()
        db.close()
        let clock = ContinuousClock()
        var report: ReshardReport?
        let elapsed = try await clock.measure {
            report = try await Reshard.run(at: directory.path + "/db", shardCount: 5, durability: .noSync)
        }
        guard let report else { return }
        precondition(report.items == Fixture.itemCount, "items \(report.items)")
        benchmark.measurement(.reshardMoved, Int((report.movedFraction * 10_000).rounded()))
        benchmark.measurement(.reshardSeconds, Int(elapsed.components.seconds))
        benchmark.measurement(.reshardRate, rate(report.items, elapsed))
        print("reshard 4 → 5: moved \(report.moved) of \(report.items) = \(String(format: "%.2f", report.movedFraction * 100)) % (ideal 20 %), \(elapsed)")
    }, setup: { loadedDirectory = LoadedDirectory() }, teardown: { loadedDirectory.remove() })

    Benchmark("Reshard 4 to 5 shards online, under 8 PutItem writers",
              configuration: .init(metrics: [.reshardSeconds, .writesBefore, .writesDuring, .writesAfter, .longestWait, .heldFor], warmupIterations: 0,
                                   maxDuration: .seconds(900), maxIterations: 1),
              closure: { benchmark async throws in
        let directory = loadedDirectory!
        let path = directory.path + "/db"
        let options = DatabaseOptions(shardCount: 4, durability: .noSync)
        let host = DatabaseHost(try await directory.load(), path: path, durability: .noSync) { closed in
            try Shoal.Database.open(at: path, options: options)
        }
        let log = WriteLog()
        let stop = StopFlag()
        // Eight writers put new items as fast as they can, as a server's clients would (each put
        // takes the host's lease, as a request does).
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var i = 0
                        while !stop.isSet {
                            i += 1
                            let item: Item = ["pk": .s("online-\(writer)-\(i % 1000)"), "sk": .n(Number(i)), "v": .n(Number(i))]
                            let started = ContinuousClock.now
                            try await host.use { db async throws(ShoalError) in _ = try await db.putItem(PutItemRequest(tableName: "Loaded", item: item)) }
                            log.record(started)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let phase = Duration.seconds(3)
        let start = ContinuousClock.now
        try await Task.sleep(for: phase)
        let reshardStart = ContinuousClock.now
        let report = try await host.reshard(to: 5)
        let reshardEnd = ContinuousClock.now
        try await Task.sleep(for: phase)
        let end = ContinuousClock.now
        stop.set()
        try await writers.value
        host.current.close()
        let before = rate(log.count(from: start, to: reshardStart), reshardStart - start)
        let during = rate(log.count(from: reshardStart, to: reshardEnd), reshardEnd - reshardStart)
        let after = rate(log.count(from: reshardEnd, to: end), end - reshardEnd)
        benchmark.measurement(.reshardSeconds, Int((reshardEnd - reshardStart).components.seconds))
        benchmark.measurement(.writesBefore, before)
        benchmark.measurement(.writesDuring, during)
        benchmark.measurement(.writesAfter, after)
        benchmark.measurement(.longestWait, log.longestMilliseconds)
        let held = report.paused ?? .zero
        let heldMilliseconds = Int(held.components.seconds * 1000 + held.components.attoseconds / 1_000_000_000_000_000)
        benchmark.measurement(.heldFor, heldMilliseconds)
        print("online reshard 4 → 5: moved \(report.moved) of \(report.items) (\(String(format: "%.2f", report.movedFraction * 100)) %) in \(reshardEnd - reshardStart); "
              + "PutItem/s before \(before), during \(during) (\(before == 0 ? 0 : during * 100 / before) %), after \(after); "
              + "requests held \(heldMilliseconds) ms, longest put \(log.longestMilliseconds) ms, \(report.copiedWhileServing) items copied while serving")
    }, setup: { loadedDirectory = LoadedDirectory() }, teardown: { loadedDirectory.remove() })
}
