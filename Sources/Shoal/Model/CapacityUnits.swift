/// DynamoDB's capacity-unit rules, reported through `ReturnConsumedCapacity`.
public enum CapacityUnits {
    /// Reads: one unit per 4 KB (rounded up, at least one) for a strongly consistent read, half
    /// that for an eventually consistent one.
    public static func read(bytes: Int, consistent: Bool) -> Double {
        let units = Double(max(1, (bytes + 4095) / 4096))
        return consistent ? units : units / 2
    }

    /// Writes: one unit per 1 KB of the larger of the old and new item (rounded up, at least one).
    public static func write(bytes: Int) -> Double {
        Double(max(1, (bytes + 1023) / 1024))
    }
}
