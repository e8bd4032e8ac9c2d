import Foundation

/// Gathers transactions spanning shards into batches, one batch committing at a time: while one
/// commits, those that arrive wait and then commit together, so concurrent transactions share each
/// shard's group commit (and its sync) instead of each ending a group of its own.
final class CrossShardBatcher: @unchecked Sendable {
    // @unchecked: `pending`, `inFlight` and `pausers` are guarded by `lock`.
    /// What a batch needs from the database.
    struct Context: Sendable {
        let writers: [ShardWriter]
        let gate: CommitGate
        let crashPoint: CommitStep?
        /// Runs the clean-up after each batch (tracked, logged when it fails, awaited on close).
        let jobs: BackgroundJobs
    }

    static let maxBatch = 64

    private let lock = NSCondition()
    private var pending: [(member: BatchMember, done: CheckedContinuation<MemberOutcome, Never>)] = []
    private var inFlight = false
    /// Threads waiting in ``exclusive(context:_:)``: batches wait for them.
    private var pausers = 0

    /// Commits `member` with whatever other transactions are waiting. - Returns: what it came to.
    func commit(_ member: BatchMember, context: Context) async -> MemberOutcome {
        await withCheckedContinuation { (done: CheckedContinuation<MemberOutcome, Never>) in
            lock.lock()
            pending.append((member, done))
            let batch = inFlight || pausers > 0 ? nil : takeBatch()
            lock.unlock()
            if let batch { launch(batch, context: context) }
        }
    }

    /// Takes the next batch (called with `lock` held). Marks a batch in flight when there is one.
    private func takeBatch() -> [(member: BatchMember, done: CheckedContinuation<MemberOutcome, Never>)]? {
        guard !pending.isEmpty else {
            inFlight = false
            return nil
        }
        let count = min(pending.count, CrossShardBatcher.maxBatch)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        inFlight = true
        return batch
    }

    /// Runs `body` (blocking the calling thread, which must not be a shard writer) while no batch
    /// commits: waits for the batch in flight, holds new ones back, then launches them.
    func exclusive<R>(context: Context, _ body: () throws -> R) rethrows -> R {
        lock.lock()
        pausers += 1
        while inFlight { lock.wait() }
        pausers -= 1
        inFlight = true
        lock.unlock()
        defer {
            lock.lock()
            let next = takeBatch()
            lock.unlock()
            if let next { launch(next, context: context) }
        }
        return try body()
    }

    private func launch(_ entries: [(member: BatchMember, done: CheckedContinuation<MemberOutcome, Never>)], context: Context) {
        let continuations = entries.map(\.done)
        let batch = CrossShardBatch(members: entries.map(\.member), gate: context.gate, crashPoint: context.crashPoint) { [self] batch in
            // On the writer thread of the shard that finished last.
            if batch.committedAny {
                batch.crash(at: .allCommitted)
                CrossShardBatcher.cleanUp(batch, writers: context.writers, jobs: context.jobs)
            }
            for (index, continuation) in continuations.enumerated() { continuation.resume(returning: batch.outcome(index)) }
            lock.lock()
            if pausers > 0 {
                inFlight = false
                lock.broadcast()
                lock.unlock()
                return
            }
            let next = takeBatch()
            lock.unlock()
            if let next { launch(next, context: context) }
        }
        // One batch at a time: its parts are queued in the same order on every shard.
        for shard in batch.participants.sorted() {
            context.writers[shard].enqueue(TransactionParticipant(batch: batch, shard: shard))
        }
    }

    /// Redoes parts that failed after the record was committed, then deletes the record, then the
    /// markers, as a background job: a failure is logged and listed in the database's background
    /// failures, and the next open completes what is left (``Database/recoverTransactions()``).
    private static func cleanUp(_ batch: CrossShardBatch, writers: [ShardWriter], jobs: BackgroundJobs) {
        let unfinished = batch.unfinished
        let id = batch.id
        let recordShard = batch.recordShard
        let others = batch.participants.filter { $0 != recordShard }
        let entries = batch.recordEntries()
        let crashPoint = batch.crashPoint
        jobs.start("cross-shard transaction clean-up", retrying: false) {
            for shard in unfinished {
                let part = entries.filter { $0.shard == shard }
                try await writers[shard].perform { try $0.redo(part, id: id) }
            }
            _ = try await writers[recordShard].perform { context in
                try context.delete(try context.transactionsDatabase, key: TransactionLog.recordKey(id))
            }
            if crashPoint == .recordCleared { kill(getpid(), SIGKILL) }
            for shard in others {
                _ = try await writers[shard].perform { context in
                    try context.delete(try context.transactionsDatabase, key: TransactionLog.markerKey(id))
                }
            }
        }
    }
}
