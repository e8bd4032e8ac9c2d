/// The Space-Saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi): at most `capacity`
/// counters; a new key takes over the smallest counter, inheriting its count as its error. Every
/// key counted more than `total / capacity` times is among the counters, and each count is over
/// its true value by at most its error. Memory is bounded by `capacity` whatever the stream.
struct SpaceSaving<Key: Hashable & Sendable>: Sendable {
    struct Counter: Sendable {
        var count: Int
        var error: Int
    }

    let capacity: Int
    private(set) var counters: [Key: Counter] = [:]
    private(set) var total = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        counters.reserveCapacity(capacity)
    }

    mutating func add(_ key: Key, count: Int = 1) {
        total += count
        if counters[key] != nil {
            counters[key]!.count += count
            return
        }
        guard counters.count >= capacity else {
            counters[key] = Counter(count: count, error: 0)
            return
        }
        // The smallest counter (a linear pass over `capacity` entries; only new keys pay it).
        var smallest: (key: Key, count: Int)?
        for (candidate, counter) in counters where smallest == nil || counter.count < smallest!.count {
            smallest = (candidate, counter.count)
        }
        let (evicted, floor) = smallest!
        counters[evicted] = nil
        counters[key] = Counter(count: floor + count, error: floor)
    }

    /// Merges another sketch's counters in (for a report over several windows).
    mutating func merge(_ other: SpaceSaving) {
        for (key, counter) in other.counters {
            add(key, count: counter.count)
            counters[key]?.error += counter.error
        }
    }

    private static func isLarger(_ a: Int, than b: Int) -> Bool { a > b }

    /// The `limit` largest counters, largest first.
    func top(_ limit: Int) -> [(key: Key, count: Int, error: Int)] {
        let all: [(key: Key, count: Int, error: Int)] = counters.map { (key: $0.key, count: $0.value.count, error: $0.value.error) }
        let sorted = all.sorted { SpaceSaving.isLarger($0.count, than: $1.count) }
        return Array(sorted.prefix(limit))
    }
}
