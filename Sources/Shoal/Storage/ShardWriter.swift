import CoreMetrics
import Foundation
import LMDB
import Synchronization

/// The single writer of one shard: a dedicated thread that drains queued writes into one
/// LMDB write transaction and commits once (group commit), so concurrent writers share a sync.
///
/// A write's closure runs on the writer thread as a unit of the group's transaction (see
/// ``WriteContext``): when it throws, at whatever point, everything it wrote is undone and it fails
/// alone; its neighbours in the group commit. A full map aborts the group, grows the map, and the
/// group reruns.
final class ShardWriter: @unchecked Sendable {
    // @unchecked: `queue` and `stopped` are guarded by `condition`; `tables` and everything a
    // `WriteContext` touches is used only on the writer thread.
    let environment: Environment
    let index: Int
    /// The shard's `stats` database (per-table item byte totals).
    let statistics: LMDB.Database
    /// The shard's `transactions` and `expiry` databases.
    let system: SystemDatabases
    var transactions: LMDB.Database? { system.transactions }
    private let condition = NSCondition()
    private var queue: [any PendingWrite] = []
    private var stopped = false
    private var finished = false
    private var tables: [String: TableStorage] = [:]
    /// Emptied databases of deleted tables, kept open until no reader can still hold them.
    private var quarantine: [(db: LMDB.Database, since: ContinuousClock.Instant)] = []
    private let deletedTableGrace: Duration
    /// The last stream record counter used in this shard (writer thread only; stored per group).
    var streamCounter: UInt64
    /// The last time stamp (microseconds) a recovery log entry of this shard used (writer thread only).
    var recoveryStamp: UInt64 = 0
    /// Told after each commit that carried stream records.
    let commitSignal: CommitSignal
    /// The time stream records, recovery stamps and expiry entries read.
    let clock: ShoalClock
    /// Reads that hold the quarantine of deleted tables' databases.
    private let longReads: LongReads
    /// Where an online reshard learns which moving items were written (see ``ReshardTracking``).
    let tracking: ReshardTracking
    static let maxGroupSize = 1024
    /// Committed group transactions and the writes they carried (for stats and tests).
    let committedGroups = Atomic<Int>(0)
    let committedWrites = Atomic<Int>(0)
    /// Writes per group commit and each commit's duration (swift-metrics; see ``DatabaseOptions/metricsFactory``).
    private let groupSizes: Recorder
    private let commitDurations: CoreMetrics.Timer
    static let groupSizeMetric = "shoal_group_commit_writes"
    static let commitDurationMetric = "shoal_group_commit_duration_seconds"

    init(environment: Environment, index: Int, statistics: LMDB.Database, system: SystemDatabases, tables: [String: TableStorage],
         streamCounter: UInt64, commitSignal: CommitSignal, longReads: LongReads, tracking: ReshardTracking = ReshardTracking(),
         deletedTableGrace: Duration, metrics: any MetricsFactory, clock: ShoalClock = ShoalClock()) {
        self.clock = clock
        self.environment = environment
        self.index = index
        self.statistics = statistics
        self.system = system
        self.tables = tables
        self.streamCounter = streamCounter
        self.commitSignal = commitSignal
        self.longReads = longReads
        self.tracking = tracking
        self.deletedTableGrace = deletedTableGrace
        let dimensions = [("shard", String(index))]
        groupSizes = Recorder(label: ShardWriter.groupSizeMetric, dimensions: dimensions, aggregate: true, factory: metrics)
        commitDurations = CoreMetrics.Timer(label: ShardWriter.commitDurationMetric, dimensions: dimensions, factory: metrics)
        let thread = Thread { [self] in self.run() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `body` in the shard's next group transaction and returns its result after the commit.
    func perform<T: Sendable>(_ body: @escaping @Sendable (WriteContext) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(TypedPendingWrite(body: body, continuation: continuation))
        }
    }

    /// Blocking variant for setup and shutdown paths that are not async.
    func performSync<T: Sendable>(_ body: @escaping @Sendable (WriteContext) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        enqueue(BlockingPendingWrite(body: body, box: box, done: done))
        done.wait()
        return try box.result!.get()
    }

    func enqueue(_ write: any PendingWrite) {
        condition.lock()
        if stopped {
            condition.unlock()
            write.complete(ShoalError.internalError("The database is closed"))
            return
        }
        queue.append(write)
        condition.signal()
        condition.unlock()
    }

    /// Parks the writer once the writes queued before have committed; nil when it has stopped.
    func pause() -> WriterPause? {
        let pause = WriterPause()
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return nil }
        queue.append(pause)
        condition.signal()
        return pause
    }

    /// Finishes the queued writes, then stops the thread. Waits until it has stopped.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        Thread.current.name = "shoal-shard-\(index)"
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // A part of a transaction spanning shards ends its group: the group must commit
            // before the writer may wait on another transaction (see TransactionParticipant).
            var count = min(queue.count, ShardWriter.maxGroupSize)
            if let end = queue.prefix(count).firstIndex(where: \.endsGroup) { count = end + 1 }
            // A pause runs alone, between groups: the writes before it commit first.
            if count > 1, queue[count - 1] is WriterPause { count -= 1 }
            let group = Array(queue.prefix(count))
            queue.removeFirst(count)
            condition.unlock()
            if let pause = group.first as? WriterPause {
                pause.hold()
                continue
            }
            commit(group)
        }
    }

    /// Thrown inside the group transaction to abort it when a write left the transaction in a
    /// state its undo log cannot repair (an LMDB error mid-write): the group then runs again
    /// without that write.
    private struct WriteFailed: Error {
        let position: Int
        let error: any Error
    }

    private func commit(_ group: [any PendingWrite]) {
        var remaining = group
        let started = ContinuousClock.now
        while !remaining.isEmpty {
            let context = WriteContext(writer: self)
            do {
                try environment.write { txn in
                    context.begin(txn)
                    for (position, write) in remaining.enumerated() {
                        do {
                            try context.unit { try write.run(context) }
                        } catch let error as LMDBError where error.code == LMDBError.mapFull.code {
                            throw error
                        } catch let unrecoverable as WriteContext.Unrecoverable {
                            throw WriteFailed(position: position, error: unrecoverable.error)
                        } catch {
                            // Undone by the unit's log: this write alone fails.
                            write.fail(error)
                        }
                    }
                    try context.finish()
                }
                context.committed()
                committedGroups.add(1, ordering: .relaxed)
                committedWrites.add(remaining.count, ordering: .relaxed)
                groupSizes.record(remaining.count)
                let elapsed = (ContinuousClock.now - started).components
                commitDurations.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                for write in remaining { write.complete(nil) }
                return
            } catch let failed as WriteFailed {
                remaining[failed.position].complete(failed.error)
                remaining.remove(at: failed.position)
            } catch {
                for write in remaining { write.complete(error) }
                return
            }
        }
    }

    // MARK: Writer-thread state

    func storage(for tableID: String) -> TableStorage? { tables[tableID] }
    func adopt(changed: [String: TableStorage?], quarantined: [LMDB.Database]) {
        for (id, storage) in changed { tables[id] = storage }
        let now = ContinuousClock.now
        for db in quarantined { quarantine.append((db, now)) }
    }

    /// Databases in quarantine (writer thread only; for tests).
    var quarantinedCount: Int { quarantine.count }

    /// Quarantined databases that no reader can still use (reads are single short transactions,
    /// far shorter than the grace period, and long ones hold the quarantine): their handles may
    /// now be closed and their slots reused.
    func takeExpiredQuarantine() -> [LMDB.Database] {
        guard !longReads.active else { return [] }
        let now = ContinuousClock.now
        let expired = quarantine.filter { now - $0.since >= deletedTableGrace }.map(\.db)
        quarantine.removeAll { now - $0.since >= deletedTableGrace }
        return expired
    }
}

// MARK: Pending writes

/// Parks a shard writer between two groups until released, so that nothing commits in the shard
/// meanwhile (see ``Database/backUpDirectory(to:progress:)``).
final class WriterPause: PendingWrite, @unchecked Sendable {
    // @unchecked: only semaphores.
    private let arrived = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    var endsGroup: Bool { true }
    func run(_ context: WriteContext) throws {}
    func fail(_ error: any Error) {}
    func complete(_ error: (any Error)?) {}

    /// On the writer thread: says it arrived, then waits for the release.
    func hold() {
        arrived.signal()
        released.wait()
    }

    /// Waits until the writer is parked.
    func waitUntilParked() { arrived.wait() }

    func release() { released.signal() }
}

/// A queued write. Handed from the submitting task to the writer thread through the locked queue;
/// after that only the writer thread touches it, until `complete` resumes the caller.
protocol PendingWrite: AnyObject, Sendable {
    /// Whether the group must commit right after this write.
    var endsGroup: Bool { get }
    /// Runs the write in the group's transaction, recording its outcome.
    func run(_ context: WriteContext) throws
    /// Records a failure of this write alone (it wrote nothing).
    func fail(_ error: any Error)
    /// Resumes the caller: with `error` if the group failed, else with the write's own outcome.
    func complete(_ error: (any Error)?)
}

extension PendingWrite {
    var endsGroup: Bool { false }
}

final class TypedPendingWrite<T: Sendable>: PendingWrite, @unchecked Sendable {
    // @unchecked: `outcome` is written and read only on the writer thread (see PendingWrite).
    private let body: @Sendable (WriteContext) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var outcome: Result<T, any Error>?

    init(body: @escaping @Sendable (WriteContext) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ context: WriteContext) throws { outcome = .success(try body(context)) }
    func fail(_ error: any Error) { outcome = .failure(error) }

    func complete(_ error: (any Error)?) {
        if let error { continuation.resume(throwing: error); return }
        continuation.resume(with: outcome ?? .failure(ShoalError.internalError("write did not run")))
    }
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once on the writer thread before the semaphore is signalled, read after.
    var result: Result<T, any Error>?
}

final class BlockingPendingWrite<T: Sendable>: PendingWrite, @unchecked Sendable {
    // @unchecked: as TypedPendingWrite.
    private let body: @Sendable (WriteContext) throws -> T
    private let box: ResultBox<T>
    private let done: DispatchSemaphore
    private var outcome: Result<T, any Error>?

    init(body: @escaping @Sendable (WriteContext) throws -> T, box: ResultBox<T>, done: DispatchSemaphore) {
        self.body = body
        self.box = box
        self.done = done
    }

    func run(_ context: WriteContext) throws { outcome = .success(try body(context)) }
    func fail(_ error: any Error) { outcome = .failure(error) }

    func complete(_ error: (any Error)?) {
        box.result = error.map { .failure($0) } ?? outcome ?? .failure(ShoalError.internalError("write did not run"))
        done.signal()
    }
}
