/// DynamoDB's capacity-unit rules, reported through `ReturnConsumedCapacity`.
public enum CapacityUnits {
    /// Reads: one unit per 4 KB (rounded up, at least one) for a strongly consistent read, half
    /// that for an eventually consistent one.
    public static func read(bytes: Int, consistent: Bool) -> Double {
        let units = Double(max(1, (bytes + 4095) / 4096))
        return consistent ? units : units / 2
    }

    /// The storage partitions DynamoDB gives a new table; a Scan that reads one to its end pays
    /// at least the one-read minimum for each.
    static let scannedPartitions = 4

    /// A Scan page: its bytes by the read rule, but a page that finishes its segment pays the read
    /// minimum for every partition in it. This is DynamoDB's figure for a small table (one tiny
    /// item: 4 units consistent, 2 eventually consistent).
    static func scan(bytes: Int, consistent: Bool, finished: Bool, totalSegments: Int?) -> Double {
        let units = read(bytes: bytes, consistent: consistent)
        guard finished else { return units }
        let partitions = max(1, scannedPartitions / max(1, totalSegments ?? 1))
        return max(units, Double(partitions) * read(bytes: 0, consistent: consistent))
    }

    /// Writes: one unit per 1 KB of the larger of the old and new item (rounded up, at least one).
    public static func write(bytes: Int) -> Double {
        Double(max(1, (bytes + 1023) / 1024))
    }
}

/// Capacity units consumed by one operation on one table, split as `ReturnConsumedCapacity: INDEXES`
/// reports them: the table's own units and each secondary index's.
public struct ConsumedCapacity: Sendable, Equatable {
    public var table: Double
    /// Units by global secondary index name (an index the operation did not touch is absent).
    public var globalSecondaryIndexes: [String: Double]
    /// Units by local secondary index name.
    public var localSecondaryIndexes: [String: Double]

    public init(table: Double = 0, globalSecondaryIndexes: [String: Double] = [:], localSecondaryIndexes: [String: Double] = [:]) {
        self.table = table
        self.globalSecondaryIndexes = globalSecondaryIndexes
        self.localSecondaryIndexes = localSecondaryIndexes
    }

    /// The operation's aggregate: the table's units and every index's.
    public var total: Double {
        table + globalSecondaryIndexes.values.reduce(0, +) + localSecondaryIndexes.values.reduce(0, +)
    }

    mutating func add(index name: String, global: Bool, units: Double) {
        if global { globalSecondaryIndexes[name, default: 0] += units } else { localSecondaryIndexes[name, default: 0] += units }
    }

    mutating func add(_ other: ConsumedCapacity) {
        table += other.table
        globalSecondaryIndexes.merge(other.globalSecondaryIndexes, uniquingKeysWith: +)
        localSecondaryIndexes.merge(other.localSecondaryIndexes, uniquingKeysWith: +)
    }
}

/// What a write applied on a shard writer hands back: the item `ReturnValues` asked for and the
/// capacity it consumed.
struct WriteOutcome: Sendable {
    var item: Item?
    /// The table's units: 1 per KB of the larger of the old and new item.
    var capacity: ConsumedCapacity

    init(item: Item?, tableBytes: Int, indexes: ConsumedCapacity = ConsumedCapacity()) {
        self.item = item
        var capacity = indexes
        capacity.table = CapacityUnits.write(bytes: tableBytes)
        self.capacity = capacity
    }
}
