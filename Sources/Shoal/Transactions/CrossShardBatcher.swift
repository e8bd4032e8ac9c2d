import Foundation

/// The batcher's rules as a value: transactions queue, one batch is in flight at a time, and an
/// exclusive section (a directory backup) waits for the batch in flight and holds the next. Each
/// event returns what to launch or whom to wake (`CrossShardBatcherRulesTests` drives them).
struct BatchQueue<Entry> {
    let maxBatch: Int
    private(set) var pending: [Entry] = []
    private(set) var inFlight = false
    /// Exclusive sections waiting for the batch in flight: batches wait for them.
    private(set) var pausers = 0

    init(maxBatch: Int) { self.maxBatch = maxBatch }

    /// A transaction arrives. - Returns: the batch to launch now (nil: it waits for the next one).
    mutating func submit(_ entry: Entry) -> [Entry]? {
        pending.append(entry)
        return inFlight || pausers > 0 ? nil : takeBatch()
    }

    enum FinishAction {
        /// An exclusive section waits: wake it (it takes the queue next).
        case wakePausers
        /// Launch this batch.
        case launch([Entry])
        /// Nothing waits.
        case idle
    }

    /// The batch in flight finished.
    mutating func batchFinished() -> FinishAction {
        if pausers > 0 {
            inFlight = false
            return .wakePausers
        }
        return takeBatch().map { .launch($0) } ?? .idle
    }

    /// An exclusive section asks to run: it waits while ``mustPauserWait`` is true.
    mutating func pauseRequested() { pausers += 1 }

    var mustPauserWait: Bool { inFlight }

    /// The exclusive section runs now (nothing is in flight; batches wait for it).
    mutating func pauseBegins() {
        pausers -= 1
        inFlight = true
    }

    /// The exclusive section ended: as when a batch finishes, another exclusive section waiting
    /// goes first (woken), else the next batch launches.
    mutating func pauseEnded() -> FinishAction { batchFinished() }

    /// The next batch, marked in flight (or nothing in flight when none waits).
    private mutating func takeBatch() -> [Entry]? {
        guard !pending.isEmpty else {
            inFlight = false
            return nil
        }
        let count = min(pending.count, maxBatch)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        inFlight = true
        return batch
    }
}

/// Gathers transactions spanning shards into batches, one batch committing at a time: while one
/// commits, those that arrive wait and then commit together, so concurrent transactions share each
/// shard's group commit (and its sync) instead of each ending a group of its own. The queue's rules
/// are ``BatchQueue``; this class holds it under a condition and launches what it answers.
final class CrossShardBatcher: @unchecked Sendable {
    // @unchecked: `queue` is guarded by `lock`.
    /// What a batch needs from the database.
    struct Context: Sendable {
        let writers: [ShardWriter]
        let gate: CommitGate
        let crashPoint: CommitStep?
        /// Runs the clean-up after each batch (tracked, logged when it fails, awaited on close).
        let jobs: BackgroundJobs
    }

    typealias Entry = (member: BatchMember, done: CheckedContinuation<MemberOutcome, Never>)

    static let maxBatch = 64

    private let lock = NSCondition()
    private var queue = BatchQueue<Entry>(maxBatch: CrossShardBatcher.maxBatch)

    /// Commits `member` with whatever other transactions are waiting. - Returns: what it came to.
    func commit(_ member: BatchMember, context: Context) async -> MemberOutcome {
        await withCheckedContinuation { (done: CheckedContinuation<MemberOutcome, Never>) in
            lock.lock()
            let batch = queue.submit((member, done))
            lock.unlock()
            if let batch { launch(batch, context: context) }
        }
    }

    /// Runs `body` (blocking the calling thread, which must not be a shard writer) while no batch
    /// commits: waits for the batch in flight, holds new ones back, then launches them.
    func exclusive<R>(context: Context, _ body: () throws -> R) rethrows -> R {
        lock.lock()
        queue.pauseRequested()
        while queue.mustPauserWait { lock.wait() }
        queue.pauseBegins()
        lock.unlock()
        defer {
            lock.lock()
            let action = queue.pauseEnded()
            if case .wakePausers = action { lock.broadcast() }
            lock.unlock()
            if case .launch(let next) = action { launch(next, context: context) }
        }
        return try body()
    }

    private func launch(_ entries: [Entry], context: Context) {
        let continuations = entries.map(\.done)
        let batch = CrossShardBatch(members: entries.map(\.member), gate: context.gate, crashPoint: context.crashPoint) { [self] batch in
            // On the writer thread of the shard that finished last.
            if batch.committedAny {
                batch.crash(at: .allCommitted)
                CrossShardBatcher.cleanUp(batch, writers: context.writers, jobs: context.jobs)
            }
            for (index, continuation) in continuations.enumerated() { continuation.resume(returning: batch.outcome(index)) }
            lock.lock()
            let action = queue.batchFinished()
            if case .wakePausers = action { lock.broadcast() }
            lock.unlock()
            if case .launch(let next) = action { launch(next, context: context) }
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
