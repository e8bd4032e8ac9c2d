import Synchronization

/// Counts the reads that keep one snapshot open for long (a table backup, an export). While any
/// runs, deleted tables' database handles stay in quarantine past the grace period: LMDB forbids
/// closing a handle a transaction may still use, and the grace period only covers short reads.
final class LongReads: Sendable {
    private let count = Atomic<Int>(0)

    var active: Bool { count.load(ordering: .sequentiallyConsistent) > 0 }

    /// Runs `body` counted as a long read.
    func during<R>(_ body: () throws -> R) rethrows -> R {
        count.add(1, ordering: .sequentiallyConsistent)
        defer { count.subtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }
}
