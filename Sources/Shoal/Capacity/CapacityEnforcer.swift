import Foundation
import Synchronization

/// One reason DynamoDB gives for a throttled request: `reason` is `Table|Index` + `Read|Write` +
/// `ProvisionedThroughputExceeded`; `resource` the table's or index's ARN.
public struct ThrottlingReason: Sendable, Equatable {
    public var reason: String
    public var resource: String
}

/// Provisioned capacity, enforced (`DatabaseOptions.enforceCapacity`, `shoal serve
/// --enforce-capacity`): a token bucket of read units and one of write units for each provisioned
/// table and global secondary index. A bucket fills at its provisioned rate per second of the
/// database's clock and holds at most 300 seconds of it (DynamoDB's burst capacity); a new bucket
/// holds one second's worth. A request is admitted while every bucket it draws from has units
/// left, and afterwards pays what it consumed by the capacity-unit rules (so a bucket may go
/// below zero, and the next requests wait for it to refill). Local indexes draw on their table.
/// Writes also need every global index of the table to have write units: an index short of them
/// throttles the table's writes (DynamoDB's back-pressure). On-demand tables are not limited.
/// Buckets live in memory: a database opened again (a restart, a rollback) starts them afresh, and
/// a changed provisioned rate starts that bucket afresh.
final class CapacityEnforcer: Sendable {
    static let burstSeconds = 300.0

    private struct Bucket {
        var units: Double
        var updated: Date
        var rate: Double
    }

    fileprivate struct Key: Hashable {
        var tableID: String
        var index: String?
        var write: Bool
    }

    private let buckets = Mutex<[Key: Bucket]>([:])

    /// One bucket a request draws from.
    struct Draw {
        fileprivate var key: Key
        fileprivate var rate: Double
        var resource: String
        var reason: String
    }

    /// The buckets a read of `table` (or of its global index `index`) or a write to it draws from
    /// (empty for an on-demand table).
    static func draws(_ table: TableDefinition, index: String?, write: Bool, region: String) -> [Draw] {
        guard table.billingMode == .provisioned, let throughput = table.provisionedThroughput else { return [] }
        let arn = "arn:aws:dynamodb:\(region):000000000000:table/\(table.name)"
        let kind = write ? "Write" : "Read"
        if let index {
            // An index the table lacks draws nothing: the operation's own validation answers.
            guard let definition = table.allIndexes.first(where: { $0.name == index }) else { return [] }
            if definition.isGlobal {
                guard let own = definition.provisionedThroughput else { return [] }
                return [Draw(key: Key(tableID: table.id, index: index, write: write),
                             rate: Double(write ? own.writeCapacityUnits : own.readCapacityUnits),
                             resource: arn + "/index/" + index, reason: "Index\(kind)ProvisionedThroughputExceeded")]
            }
        }
        var draws = [Draw(key: Key(tableID: table.id, index: nil, write: write),
                          rate: Double(write ? throughput.writeCapacityUnits : throughput.readCapacityUnits),
                          resource: arn, reason: "Table\(kind)ProvisionedThroughputExceeded")]
        if write {
            for definition in table.allIndexes where definition.isGlobal && definition.isMaintained {
                guard let own = definition.provisionedThroughput else { continue }
                draws.append(Draw(key: Key(tableID: table.id, index: definition.name, write: true), rate: Double(own.writeCapacityUnits),
                                  resource: arn + "/index/" + definition.name, reason: "IndexWriteProvisionedThroughputExceeded"))
            }
        }
        return draws
    }

    /// Throws DynamoDB's ProvisionedThroughputExceededException when a bucket of `draws` is empty.
    func admit(_ draws: [Draw], now: Date) throws(ShoalError) {
        guard !draws.isEmpty else { return }
        let empty = buckets.withLock { buckets in
            draws.filter { draw in
                let bucket = CapacityEnforcer.refilled(buckets[draw.key], rate: draw.rate, now: now)
                buckets[draw.key] = bucket
                return bucket.units <= 0
            }
        }
        guard !empty.isEmpty else { return }
        let indexes = empty.allSatisfy { $0.reason.hasPrefix("Index") }
        var error = ShoalError(.provisionedThroughputExceeded, indexes
            ? "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API"
            : "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
        error.throttlingReasons = empty.map { ThrottlingReason(reason: $0.reason, resource: $0.resource) }
        throw error
    }

    /// Takes what an operation consumed out of its buckets: `units` for the table (local indexes
    /// included) and `indexUnits` for each global index.
    func charge(tableID: String, write: Bool, units: Double, indexUnits: [String: Double], rates: [Draw], now: Date) {
        guard !rates.isEmpty else { return }
        buckets.withLock { buckets in
            for draw in rates {
                let paid = draw.key.index.map { indexUnits[$0] ?? 0 } ?? units
                guard paid > 0 else { continue }
                var bucket = CapacityEnforcer.refilled(buckets[draw.key], rate: draw.rate, now: now)
                bucket.units -= paid
                buckets[draw.key] = bucket
            }
        }
    }

    private static func refilled(_ bucket: Bucket?, rate: Double, now: Date) -> Bucket {
        guard var bucket, bucket.rate == rate else { return Bucket(units: rate, updated: now, rate: rate) }
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.units = min(rate * burstSeconds, bucket.units + rate * elapsed)
        bucket.updated = max(bucket.updated, now)
        return bucket
    }
}
