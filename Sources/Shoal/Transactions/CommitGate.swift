import Foundation
import LMDB
import Synchronization

/// Keeps readers from opening snapshots while a transaction that spans shards becomes visible.
///
/// Each shard commits its part of such a transaction in its own LMDB environment, one after the
/// other. The shard that commits first closes the gate before its commit and the last one opens
/// it after its own, so a reader opens its snapshots (one shard's or several) either before the
/// first of those commits or after the last: it sees all of the transaction or none of it, also
/// across two reads one after the other. Readers hold the gate only while LMDB begins their read
/// transactions, so closing it waits microseconds; it is closed only for the few commits of one
/// transaction, and opened by the shard writers themselves (never by a task that a blocked
/// reader could keep from running). It stays two atomics rather than a value state machine behind
/// a lock, because every snapshot passes it; the order of its steps is model-checked over every
/// interleaving of several readers and closers (`CommitGateModelTests`).
final class CommitGate: Sendable {
    /// Readers opening snapshots now.
    private let readers = Atomic<Int>(0)
    /// Commits in progress that keep readers out.
    private let closed = Atomic<Int>(0)
    /// Where readers wait while the gate is closed.
    private let condition = NSCondition()

    /// Waits while the gate is closed, then counts a reader in. The fast path is two atomic
    /// operations: a reader counts itself in, then looks at `closed`; a closer counts itself in,
    /// then looks at `readers` (sequentially consistent, so one of them sees the other).
    func enter() {
        while true {
            readers.add(1, ordering: .sequentiallyConsistent)
            if closed.load(ordering: .sequentiallyConsistent) == 0 { return }
            readers.subtract(1, ordering: .sequentiallyConsistent)
            condition.lock()
            while closed.load(ordering: .sequentiallyConsistent) > 0 { condition.wait() }
            condition.unlock()
        }
    }

    func leave() {
        readers.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Closes the gate and waits until no reader is opening a snapshot (microseconds).
    func close() {
        closed.add(1, ordering: .sequentiallyConsistent)
        while readers.load(ordering: .sequentiallyConsistent) > 0 { sched_yield() }
    }

    func open() {
        condition.lock()
        closed.subtract(1, ordering: .sequentiallyConsistent)
        condition.broadcast()
        condition.unlock()
    }
}

extension Database {
    /// Runs `body` in a read snapshot of one shard, opened through the commit gate.
    func snapshot<R>(_ shard: Shard, _ body: (Transaction) throws -> R) throws -> R {
        transactions.gate.enter()
        var inside = true
        defer { if inside { transactions.gate.leave() } }
        return try shard.environment.read { txn in
            if inside {
                transactions.gate.leave()
                inside = false
            }
            return try body(txn)
        }
    }

    /// Runs `body` with one read transaction per shard, all opened at once through the commit
    /// gate: no transaction spanning shards is half visible across them.
    func withSnapshots<R>(_ shards: ArraySlice<Shard>, _ body: ([Transaction]) throws -> R) throws -> R {
        transactions.gate.enter()
        var inside = true
        defer { if inside { transactions.gate.leave() } }
        return try Database.nestSnapshots(shards, []) { txns in
            if inside {
                transactions.gate.leave()
                inside = false
            }
            return try body(txns)
        }
    }

    private static func nestSnapshots<R>(_ shards: ArraySlice<Shard>, _ open: [Transaction], _ body: ([Transaction]) throws -> R) throws -> R {
        guard let first = shards.first else { return try body(open) }
        return try first.environment.read { txn in
            try nestSnapshots(shards.dropFirst(), open + [txn], body)
        }
    }
}
