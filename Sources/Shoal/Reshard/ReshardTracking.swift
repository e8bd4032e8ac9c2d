import Synchronization

/// The item keys written while an online reshard copies items into new shards (see
/// ``Database/precopyForReshard(to:testCrashAt:progress:)``): every shard writer notes each item key it
/// changes whose owner on the new ring is another shard, so that the copy can be brought up to
/// date. Inactive (one atomic load per write) the rest of the time.
final class ReshardTracking: Sendable {
    private let active = Atomic<Bool>(false)
    private let state = Mutex<(ring: HashRing?, keys: Set<TrackedKey>)>((nil, []))

    struct TrackedKey: Hashable, Sendable {
        var tableID: String
        var key: [UInt8]
    }

    func start(ring: HashRing) {
        state.withLock { $0 = (ring, []) }
        active.store(true, ordering: .sequentiallyConsistent)
    }

    /// Stops noting and returns what was noted since the last `take`.
    func stop() -> Set<TrackedKey> {
        active.store(false, ordering: .sequentiallyConsistent)
        return state.withLock { state in
            defer { state = (nil, []) }
            return state.keys
        }
    }

    /// What was noted so far (noting goes on).
    func take() -> Set<TrackedKey> {
        state.withLock { state in
            defer { state.keys = [] }
            return state.keys
        }
    }

    var count: Int { state.withLock { $0.keys.count } }

    /// Called by a shard writer for each item key it writes.
    func note(tableID: String, key: [UInt8], shard: Int) {
        guard active.load(ordering: .relaxed) else { return }
        state.withLock { state in
            guard let ring = state.ring, ReshardDirectory.owner(key, ring) != shard else { return }
            state.keys.insert(TrackedKey(tableID: tableID, key: key))
        }
    }
}
