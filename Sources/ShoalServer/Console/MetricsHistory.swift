import Foundation
import Synchronization

/// The last 15 minutes of the server's figures, in memory, for the console's charts: requests by
/// operation (count, errors by type, a latency histogram for p50/p99) in 10-second buckets, and
/// samples of the gauges (items and bytes per table, map use, stream and trigger lag) taken every
/// 10 seconds. Bounded: 90 buckets, each with at most ``maxKeys`` operations, error types and tables.
final class MetricsHistory: Sendable {
    static let bucketSeconds = 10
    static let bucketCount = 90
    static let maxKeys = 200
    /// Latency histogram bounds: bucket i holds durations below 10 µs · 2^(i/2).
    static let latencyBuckets = 48

    struct OperationFigures: Sendable {
        var count = 0
        var errors = 0
        var latency = [Int](repeating: 0, count: MetricsHistory.latencyBuckets)
    }

    struct RequestBucket: Sendable {
        var start: Int
        var operations: [String: OperationFigures] = [:]
        var errorTypes: [String: Int] = [:]
    }

    /// One sample of the gauges.
    struct GaugeSample: Sendable {
        var time: Int
        var tableItems: [String: Int] = [:]
        var tableBytes: [String: Int] = [:]
        var mapUsed = 0
        var mapSize = 0
        var streamRecords = 0
        /// Per mapping (UUID): records and seconds behind.
        var triggerRecordsBehind: [String: Int] = [:]
        var triggerSecondsBehind: [String: Double] = [:]
    }

    private struct State {
        var requests: [RequestBucket] = []
        var gauges: [GaugeSample] = []
    }

    private let state = Mutex(State())

    static func latencyBucket(nanoseconds: Int64) -> Int {
        let micros = Double(max(nanoseconds, 1)) / 1000
        guard micros >= 10 else { return 0 }
        return min(latencyBuckets - 1, Int((log2(micros / 10) * 2).rounded(.down)) + 1)
    }

    /// The upper bound of latency bucket `index`, in seconds.
    static func latencyBound(_ index: Int) -> Double { 10e-6 * pow(2, Double(index) / 2) }

    func record(operation: String, nanoseconds: Int64, errorType: String?, now: Date = Date()) {
        let start = Int(now.timeIntervalSince1970) / MetricsHistory.bucketSeconds * MetricsHistory.bucketSeconds
        let bucket = MetricsHistory.latencyBucket(nanoseconds: nanoseconds)
        state.withLock { state in
            if state.requests.last?.start != start {
                state.requests.append(RequestBucket(start: start))
                let oldest = start - MetricsHistory.bucketSeconds * MetricsHistory.bucketCount
                state.requests.removeAll { $0.start <= oldest }
            }
            let last = state.requests.count - 1
            let name = state.requests[last].operations[operation] != nil || state.requests[last].operations.count < MetricsHistory.maxKeys
                ? operation : "other"
            state.requests[last].operations[name, default: OperationFigures()].count += 1
            state.requests[last].operations[name, default: OperationFigures()].latency[bucket] += 1
            if let errorType {
                state.requests[last].operations[name, default: OperationFigures()].errors += 1
                if state.requests[last].errorTypes[errorType] != nil || state.requests[last].errorTypes.count < MetricsHistory.maxKeys {
                    state.requests[last].errorTypes[errorType, default: 0] += 1
                }
            }
        }
    }

    func add(_ sample: GaugeSample) {
        state.withLock { state in
            state.gauges.append(sample)
            let oldest = sample.time - MetricsHistory.bucketSeconds * MetricsHistory.bucketCount
            state.gauges.removeAll { $0.time <= oldest }
        }
    }

    /// The buckets and samples of the last 15 minutes.
    func snapshot(now: Date = Date()) -> (requests: [RequestBucket], gauges: [GaugeSample]) {
        let oldest = Int(now.timeIntervalSince1970) - MetricsHistory.bucketSeconds * MetricsHistory.bucketCount
        return state.withLock { state in
            (state.requests.filter { $0.start > oldest }, state.gauges.filter { $0.time > oldest })
        }
    }

    /// The duration below which `fraction` of the histogram's requests finished (a bucket's upper bound).
    static func quantile(_ histogram: [Int], _ fraction: Double) -> Double? {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (index, count) in histogram.enumerated() {
            seen += count
            if seen >= rank { return latencyBound(index) }
        }
        return latencyBound(histogram.count - 1)
    }
}
