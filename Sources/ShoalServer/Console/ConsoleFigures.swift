import Foundation
import Logging
import ServiceLifecycle
import Shoal

/// The console's metrics page reads these: the request buckets and gauge samples of
/// ``MetricsHistory`` as JSON (p50/p99 from each bucket's latency histogram, and over the whole
/// window), and the hot keys of every contributor insights rule.
enum ConsoleFigures {
    static func render(_ history: MetricsHistory, hotKeys: JSONValue, now: Date = Date()) -> JSONValue {
        let (requests, gauges) = history.snapshot(now: now)
        func number(_ value: Int) -> JSONValue { .number(String(value)) }
        func seconds(_ value: Double?) -> JSONValue { value.map { .number(String(format: "%.6f", $0)) } ?? .null }
        var totals: [String: MetricsHistory.OperationFigures] = [:]
        let buckets = requests.map { bucket -> JSONValue in
            let operations = bucket.operations.sorted { $0.key < $1.key }.map { name, figures -> (String, JSONValue) in
                var total = totals[name] ?? MetricsHistory.OperationFigures()
                total.count += figures.count
                total.errors += figures.errors
                for index in total.latency.indices { total.latency[index] += figures.latency[index] }
                totals[name] = total
                return (name, .object([("Count", number(figures.count)), ("Errors", number(figures.errors)),
                                       ("P50", seconds(MetricsHistory.quantile(figures.latency, 0.5))),
                                       ("P99", seconds(MetricsHistory.quantile(figures.latency, 0.99)))]))
            }
            return .object([("Start", number(bucket.start)), ("Operations", .object(operations)),
                             ("ErrorTypes", .object(bucket.errorTypes.sorted { $0.key < $1.key }.map { ($0.key, number($0.value)) }))])
        }
        let samples = gauges.map { sample -> JSONValue in
            .object([("Time", number(sample.time)),
                      ("TableItems", .object(sample.tableItems.sorted { $0.key < $1.key }.map { ($0.key, number($0.value)) })),
                      ("TableBytes", .object(sample.tableBytes.sorted { $0.key < $1.key }.map { ($0.key, number($0.value)) })),
                      ("MapUsed", number(sample.mapUsed)), ("MapSize", number(sample.mapSize)),
                      ("StreamRecords", number(sample.streamRecords)),
                      ("TriggerRecordsBehind", .object(sample.triggerRecordsBehind.sorted { $0.key < $1.key }.map { ($0.key, number($0.value)) })),
                      ("TriggerSecondsBehind", .object(sample.triggerSecondsBehind.sorted { $0.key < $1.key }.map { ($0.key, seconds($0.value)) }))])
        }
        let summary = totals.sorted { $0.key < $1.key }.map { name, figures -> (String, JSONValue) in
            (name, .object([("Count", number(figures.count)), ("Errors", number(figures.errors)),
                            ("P50", seconds(MetricsHistory.quantile(figures.latency, 0.5))),
                            ("P99", seconds(MetricsHistory.quantile(figures.latency, 0.99)))]))
        }
        return .object([("Now", number(Int(now.timeIntervalSince1970))), ("BucketSeconds", number(MetricsHistory.bucketSeconds)),
                        ("WindowSeconds", number(MetricsHistory.bucketSeconds * MetricsHistory.bucketCount)),
                        ("Requests", .array(buckets)), ("Gauges", .array(samples)), ("Totals", .object(summary)),
                        ("HotKeys", hotKeys)])
    }

    /// The ten most accessed and throttled keys of each contributor insights rule.
    static func hotKeys(_ database: Database) -> JSONValue {
        var rows: [JSONValue] = []
        for subject in database.contributorInsightsSubjects() {
            for rule in ContributorRule.allCases {
                guard let top = try? database.contributors(tableName: subject.table, indexName: subject.index, rule: rule, limit: 10) else { continue }
                for contributor in top {
                    var members: [(String, JSONValue)] = [("TableName", .string(subject.table)), ("Rule", .string(rule.rawValue)),
                                                          ("Key", .array(contributor.keys.map(AttributeValueJSON.encode))),
                                                          ("Count", .number(String(contributor.count)))]
                    if let index = subject.index { members.insert(("IndexName", .string(index)), at: 1) }
                    rows.append(.object(members))
                }
            }
        }
        return .array(rows)
    }

    /// One sample of the gauges from `database`.
    static func sample(_ database: Database, now: Date = Date()) throws(ShoalError) -> MetricsHistory.GaugeSample {
        var sample = MetricsHistory.GaugeSample(time: Int(now.timeIntervalSince1970))
        for shard in try database.storageStatistics() {
            sample.mapUsed += shard.mapUsed
            sample.mapSize += shard.mapSize
            sample.streamRecords += shard.streamRecords
            for table in shard.tables {
                sample.tableItems[table.tableName, default: 0] += table.items
                sample.tableBytes[table.tableName, default: 0] += table.bytes
            }
        }
        for mapping in try database.listEventSourceMappings(maxItems: 10_000).eventSourceMappings {
            sample.triggerRecordsBehind[mapping.uuid] = mapping.recordsBehind
            sample.triggerSecondsBehind[mapping.uuid] = mapping.secondsBehind
        }
        return sample
    }
}

/// Samples the gauges for the console's charts every 10 seconds while the server runs; a sample
/// that fails is logged (the next one tries again).
struct ConsoleSampler: Service {
    let host: DatabaseHost
    let history: MetricsHistory
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let outcome: Result<MetricsHistory.GaugeSample, ShoalError>? = await host.whenAvailable { database in
                    do throws(ShoalError) { return .success(try ConsoleFigures.sample(database)) } catch { return .failure(error) }
                }
                switch outcome {
                case .success(let sample): history.add(sample)
                case .failure(let error): logger.warning("console: sampling the metrics failed: \(error.message)")
                case nil: break
                }
                try? await Task.sleep(for: .seconds(MetricsHistory.bucketSeconds))
            }
        }
    }
}
