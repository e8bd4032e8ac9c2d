import Benchmark
import Foundation
import Shoal
import ShoalServer

extension BenchmarkMetric {
    static let pitrOffRate = BenchmarkMetric.custom("PutItem/s, recovery off", polarity: .prefersLarger, useScalingFactor: false)
    static let pitrOnRate = BenchmarkMetric.custom("PutItem/s, recovery on", polarity: .prefersLarger, useScalingFactor: false)
    static let pitrPercent = BenchmarkMetric.custom("on as % of off", polarity: .prefersLarger, useScalingFactor: false)
    static let restoreRate = BenchmarkMetric.custom("restore to a point in time, items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let restoreSeconds = BenchmarkMetric.custom("restore seconds", polarity: .prefersSmaller, useScalingFactor: false)
    static let restorePercent = BenchmarkMetric.custom("restore as % of BatchWriteItem load", polarity: .prefersLarger, useScalingFactor: false)
}

/// A fresh directory with two tables of the fixture's shape: "Off" without point-in-time
/// recovery and "RecoveryOn" with it.
private final class RecoveryTargets: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "shoal-bench-pitr-" + UUID().uuidString
    let db: Shoal.Database
    var next = 0

    init(durability: Durability) async throws {
        db = try Shoal.Database.open(at: path, options: DatabaseOptions(shardCount: 4, durability: durability))
        for name in ["RecoveryOff", "RecoveryOn"] {
            _ = try await db.createTable(CreateTableRequest(tableName: name, partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        }
        _ = try await db.updateContinuousBackups(tableName: "RecoveryOn", enabled: true)
    }

    func remove() {
        db.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

nonisolated(unsafe) private var recoveryTargets: RecoveryTargets!

/// `tasks` concurrent tasks of `perTask` PutItems each into `table`. - Returns: the elapsed time.
private func puts(_ t: RecoveryTargets, table: String, first: Int, tasks: Int, perTask: Int) async throws -> Duration {
    try await ContinuousClock().measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask {
                        _ = try await t.db.putItem(PutItemRequest(tableName: table, item: Fixture.item(first + task * perTask + i)))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

func registerRecoveryBenchmarks() {
    for (label, durability) in [("durable", Durability.sync), ("nosync", Durability.noSync)] {
        Benchmark("PutItem with point-in-time recovery on vs off (\(label), 64 tasks)",
                  configuration: .init(metrics: [.pitrOffRate, .pitrOnRate, .pitrPercent], warmupIterations: 1,
                                       maxDuration: .seconds(60), maxIterations: 5),
                  closure: { benchmark async throws in
            let t = recoveryTargets!
            let (tasks, perTask) = (64, durability == .sync ? 40 : 400)
            // Alternate the order so neither table always runs on the warmer cache.
            var off = Duration.zero
            var on = Duration.zero
            for round in 0..<2 {
                let first = t.next
                t.next += tasks * perTask
                if round == 0 {
                    off += try await puts(t, table: "RecoveryOff", first: first, tasks: tasks, perTask: perTask)
                    on += try await puts(t, table: "RecoveryOn", first: first, tasks: tasks, perTask: perTask)
                } else {
                    on += try await puts(t, table: "RecoveryOn", first: first, tasks: tasks, perTask: perTask)
                    off += try await puts(t, table: "RecoveryOff", first: first, tasks: tasks, perTask: perTask)
                }
            }
            let offRate = rate(2 * tasks * perTask, off)
            let onRate = rate(2 * tasks * perTask, on)
            benchmark.measurement(.pitrOffRate, offRate)
            benchmark.measurement(.pitrOnRate, onRate)
            benchmark.measurement(.pitrPercent, onRate * 100 / max(offRate, 1))
        }, setup: { recoveryTargets = try await RecoveryTargets(durability: durability) }, teardown: { recoveryTargets.remove() })
    }

    Benchmark("RestoreTableToPointInTime of the fixture's items vs a BatchWriteItem load",
              configuration: .init(metrics: [.restoreRate, .restoreSeconds, .bulkLoadRate, .restorePercent], warmupIterations: 0,
                                   maxDuration: .seconds(600), maxIterations: 1),
              closure: { benchmark async throws in
        let db = try await loadedDirectory.load()
        defer { db.close() }
        _ = try await db.updateContinuousBackups(tableName: "Loaded", enabled: true)
        // The instant, then 1 % of the items rewritten and 1 % deleted after it.
        let instant = Date()
        try await Task.sleep(for: .milliseconds(2))
        let changed = Fixture.itemCount / 100
        try await concurrently(0..<(changed / 25), tasks: 8) { batch in
            var writes: [WriteRequest] = []
            for i in batch * 25..<(batch * 25 + 25) {
                if i % 2 == 0 {
                    var item = Fixture.item(i)
                    item["changed"] = .bool(true)
                    writes.append(.put(item))
                } else {
                    writes.append(.delete(key: Fixture.key(i)))
                }
            }
            _ = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Loaded": writes]))
        }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            _ = try await db.restoreTableToPointInTime(RestoreTableToPointInTimeRequest(sourceTableName: "Loaded", targetTableName: "Restored",
                                                                                       restoreDateTime: instant))
            while try db.describeTable("Restored").table.tableStatus != .active { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard try db.describeTable("Restored").table.itemCount == Fixture.itemCount else {
            throw ShoalError.internalError("the restore holds \(try db.describeTable("Restored").table.itemCount) items")
        }
        let restoreRate = rate(Fixture.itemCount, elapsed)
        benchmark.measurement(.restoreRate, restoreRate)
        benchmark.measurement(.restoreSeconds, Int(elapsed.components.seconds))
        benchmark.measurement(.bulkLoadRate, loadedDirectory.loadRate)
        benchmark.measurement(.restorePercent, restoreRate * 100 / max(loadedDirectory.loadRate, 1))
    }, setup: { loadedDirectory = LoadedDirectory() }, teardown: { loadedDirectory.remove() })
}

extension BenchmarkMetric {
    static let exportJobRate = BenchmarkMetric.custom("ExportTableToPointInTime job items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let importJobRate = BenchmarkMetric.custom("ImportTable job items/s", polarity: .prefersLarger, useScalingFactor: false)
    static let exportJobPercent = BenchmarkMetric.custom("export job as % of BatchWriteItem load", polarity: .prefersLarger, useScalingFactor: false)
    static let importJobPercent = BenchmarkMetric.custom("import job as % of BatchWriteItem load", polarity: .prefersLarger, useScalingFactor: false)
}

func registerTransferJobBenchmarks() {
    Benchmark("Export and import jobs of the fixture's items vs a BatchWriteItem load",
              configuration: .init(metrics: [.exportJobRate, .importJobRate, .bulkLoadRate, .exportJobPercent, .importJobPercent],
                                   warmupIterations: 0, maxDuration: .seconds(900), maxIterations: 1),
              closure: { benchmark async throws in
        let db = try await loadedDirectory.load()
        _ = try await db.updateContinuousBackups(tableName: "Loaded", enabled: true)
        let host = DatabaseHost(db)
        host.transfers.s3Root = loadedDirectory.path + "/s3"
        let clock = ContinuousClock()
        var exported = (arn: "", status: "", items: 0)
        let exportTime = try await clock.measure {
            exported = try await host.transfers.export(tableName: "Loaded", bucket: "bench", prefix: "full")
        }
        guard exported.status == "COMPLETED", exported.items == Fixture.itemCount else {
            throw ShoalError.internalError("the export job ended \(exported.status) with \(exported.items) items")
        }
        let exportID = exported.arn.split(separator: "/").last.map(String.init) ?? ""
        var request = CreateTableRequest(tableName: "Imported", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.billingMode = .payPerRequest
        var imported = (arn: "", status: "", imported: 0, errors: 0)
        let importTime = try await clock.measure {
            imported = try await host.transfers.importTable(request, bucket: "bench", prefix: "full/AWSDynamoDB/\(exportID)/data/")
        }
        guard imported.status == "COMPLETED", imported.imported == Fixture.itemCount else {
            throw ShoalError.internalError("the import job ended \(imported.status) with \(imported.imported) items")
        }
        await host.transfers.shutdown()
        db.close()
        let load = loadedDirectory.loadRate
        let exportRate = rate(Fixture.itemCount, exportTime)
        let importRate = rate(Fixture.itemCount, importTime)
        benchmark.measurement(.exportJobRate, exportRate)
        benchmark.measurement(.importJobRate, importRate)
        benchmark.measurement(.bulkLoadRate, load)
        benchmark.measurement(.exportJobPercent, exportRate * 100 / max(load, 1))
        benchmark.measurement(.importJobPercent, importRate * 100 / max(load, 1))
    }, setup: { loadedDirectory = LoadedDirectory() }, teardown: { loadedDirectory.remove() })
}
