import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Shoal
import Synchronization

/// The server's metrics, served by `GET /metrics` in Prometheus' text format through
/// swift-metrics and swift-prometheus, in a registry of its own (nothing global is bootstrapped):
///
/// - `shoal_requests_total{operation}` and `shoal_request_duration_seconds{operation}` (histogram);
/// - `shoal_errors_total{operation,type}` by DynamoDB error type;
/// - `shoal_group_commit_writes{shard}` (histogram of writes per group commit) and
///   `shoal_group_commit_duration_seconds{shard}` (histogram), reported by the shard writers;
/// - at each scrape: `shoal_table_items` / `shoal_table_bytes{table,shard}`,
///   `shoal_map_size_bytes` / `shoal_map_used_bytes{shard}`, `shoal_stream_records_total{shard}`,
///   `shoal_trigger_records_behind` / `shoal_trigger_seconds_behind{uuid,function}`.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Give this to ``DatabaseOptions/metricsFactory`` so the engine's metrics land here too.
    public let factory: PrometheusMetricsFactory
    private let operations: [String: (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)]
    private let unknown: (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)
    /// Scrape-time gauges by name and labels, to drop those whose table or mapping went away.
    private let gauges = Mutex<[String: Prometheus.Gauge]>([:])
    private let streamRecords = Mutex<[Int: (counter: Prometheus.Counter, value: Int)]>([:])
    /// The last 15 minutes of the same figures, for the console's charts (nil: no console).
    let history: MetricsHistory?

    /// - Parameter history: keep the last 15 minutes for the web console (`--console off` does not).
    public init(history: Bool = true) {
        self.history = history ? MetricsHistory() : nil
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[ShardWriterMetrics.groupSize] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        let fast: [Duration] = [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10)]
        factory.defaultDurationHistogramBuckets = fast
        self.factory = factory
        var operations: [String: (CoreMetrics.Counter, CoreMetrics.Timer)] = [:]
        for name in OperationDispatcher.supported.union(OperationDispatcher.streamsSupported).union(OperationDispatcher.adminSupported) {
            operations[name] = ServerMetrics.pair(name, factory)
        }
        self.operations = operations
        unknown = ServerMetrics.pair("unknown", factory)
    }

    private static func pair(_ operation: String, _ factory: PrometheusMetricsFactory) -> (CoreMetrics.Counter, CoreMetrics.Timer) {
        (CoreMetrics.Counter(label: "shoal_requests_total", dimensions: [("operation", operation)], factory: factory),
         CoreMetrics.Timer(label: "shoal_request_duration_seconds", dimensions: [("operation", operation)], factory: factory))
    }

    /// Counts one request of `operation` (nil: not one of ours) and its outcome.
    func record(operation: String?, duration: Duration, errorType: String?) {
        let known = operation.flatMap { name in operations[name].map { (name, $0) } }
        let (label, metrics) = known ?? ("unknown", unknown)
        metrics.requests.increment()
        let parts = duration.components
        let nanoseconds = parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
        metrics.duration.recordNanoseconds(nanoseconds)
        var type: String?
        if let errorType {
            let name = errorType.split(separator: "#").last.map(String.init) ?? errorType
            CoreMetrics.Counter(label: "shoal_errors_total", dimensions: [("operation", label), ("type", name)], factory: factory).increment()
            type = name
        }
        history?.record(operation: label, nanoseconds: nanoseconds, errorType: type)
    }

    /// Refreshes the scrape-time figures from `database` and renders everything.
    func render(_ database: Database) -> [UInt8] {
        var seen: [String: Prometheus.Gauge] = [:]
        func gauge(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
            let gauge = registry.makeGauge(descriptor: ServerMetrics.descriptor(name), labels: labels)
            gauge.set(value)
            seen[key] = gauge
        }
        if let shards = try? database.storageStatistics() {
            for shard in shards {
                let label = String(shard.shard)
                gauge("shoal_map_size_bytes", [("shard", label)], Double(shard.mapSize))
                gauge("shoal_map_used_bytes", [("shard", label)], Double(shard.mapUsed))
                for table in shard.tables {
                    gauge("shoal_table_items", [("table", table.tableName), ("shard", label)], Double(table.items))
                    gauge("shoal_table_bytes", [("table", table.tableName), ("shard", label)], Double(table.bytes))
                }
                advanceStreamRecords(shard: shard.shard, to: shard.streamRecords)
            }
        }
        if let mappings = try? database.listEventSourceMappings(maxItems: 10_000).eventSourceMappings {
            for mapping in mappings {
                let labels = [("uuid", mapping.uuid), ("function", mapping.functionName)]
                gauge("shoal_trigger_records_behind", labels, Double(mapping.recordsBehind))
                gauge("shoal_trigger_seconds_behind", labels, mapping.secondsBehind)
            }
        }
        // The top keys of each contributor insights rule (ten per rule: a bounded label set).
        for subject in database.contributorInsightsSubjects() {
            for rule in ContributorRule.allCases {
                guard let top = try? database.contributors(tableName: subject.table, indexName: subject.index, rule: rule, limit: 10) else { continue }
                for contributor in top {
                    let key = contributor.keys.map { String(decoding: JSONWriter.encode(AttributeValueJSON.encode($0)), as: UTF8.self) }.joined(separator: ",")
                    gauge("shoal_contributor_insights_requests", [("table", subject.table), ("index", subject.index ?? ""), ("rule", rule.rawValue),
                                                                 ("key", key)], Double(contributor.count))
                }
            }
        }
        let stale = gauges.withLock { previous -> [Prometheus.Gauge] in
            let gone = previous.filter { seen[$0.key] == nil }.map(\.value)
            previous = seen
            return gone
        }
        for gauge in stale { registry.unregisterGauge(gauge) }
        return registry.emitToBuffer()
    }

    /// The scrape-time figures' names and help texts.
    private static let help = [
        "shoal_map_size_bytes": "Bytes of the shard's LMDB map",
        "shoal_map_used_bytes": "Bytes of the shard's LMDB map in use",
        "shoal_table_items": "Items of the table in the shard",
        "shoal_table_bytes": "Item bytes of the table in the shard, by DynamoDB's size rules",
        "shoal_trigger_records_behind": "Stream records the mapping has yet to deliver",
        "shoal_trigger_seconds_behind": "Age of the oldest stream record the mapping has yet to deliver",
        "shoal_stream_records_total": "Stream records the shard has written",
        "shoal_contributor_insights_requests": "Requests for one of the most accessed (or throttled) keys over the last 15 minutes, by contributor insights rule",
    ]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    /// Moves a shard's stream record counter up to the shard's own count.
    private func advanceStreamRecords(shard: Int, to value: Int) {
        streamRecords.withLock { counters in
            let entry = counters[shard] ?? (registry.makeCounter(descriptor: ServerMetrics.descriptor("shoal_stream_records_total"), labels: [("shard", String(shard))]), 0)
            if value > entry.value { entry.counter.increment(by: Int64(value - entry.value)) }
            counters[shard] = (entry.counter, max(value, entry.value))
        }
    }
}

/// The names the shard writers report under (see the engine's ShardWriter).
enum ShardWriterMetrics {
    static let groupSize = "shoal_group_commit_writes"
}
