import Foundation

/// Steps of the commit of transactions spanning shards, where a test may have the process killed
/// (``DatabaseOptions/testCrashPoint``).
enum CommitStep: String, Sendable {
    /// Every shard has planned its part; nothing is written.
    case planned
    /// The first shard wrote its part and the commit record, not yet committed.
    case recordWritten = "record-written"
    /// The commit record is on disk; no other shard has committed.
    case recordCommitted = "record-committed"
    /// One more shard committed its part.
    case partCommitted = "part-committed"
    /// Every part is committed; record and markers are still there.
    case allCommitted = "all-committed"
    /// The record is deleted; markers are still there.
    case recordCleared = "record-cleared"
}

/// One transaction of a batch: its actions, by shard.
struct BatchMember: Sendable {
    let byShard: [Int: [TransactAction]]
}

/// What one transaction of a batch came to.
struct MemberOutcome: Sendable {
    var committed = false
    /// Every action's plan, by position in the request.
    var plans: [Int: ActionPlan] = [:]
    /// The capacity each written action's indexes consumed, by position.
    var indexes: [Int: ConsumedCapacity] = [:]
    /// Why the transaction could not run (its table deleted meanwhile, the database closing, …).
    var failure: (any Error)?
}

/// Transactions spanning shards that commit together, and what their shards share meanwhile.
///
/// Each shard of the batch runs one ``TransactionParticipant`` on its writer: it plans its actions of
/// every transaction, waits here until every shard has planned, then writes the actions of the
/// transactions that can commit (those none of whose actions failed). The lowest-numbered shard
/// writes, with its own part, the commit record of all of them (see ``TransactionLog``); the others
/// commit their parts once it is on disk. Only the shard writer threads drive it, so no task that a
/// waiting reader could hold up is needed to finish. Transactions of one batch hold disjoint items
/// (``ItemLocks``), so they commit independently of each other.
///
/// The rules are ``CrossShardBatchRules`` (a value); this class holds them under a condition and
/// executes what they answer: wake the waiting shards, close and open the commit gate, call back.
final class CrossShardBatch: @unchecked Sendable {
    // @unchecked: `rules` is guarded by `condition`.
    let id: [UInt8]
    let members: [BatchMember]
    let participants: Set<Int>
    let recordShard: Int
    let gate: CommitGate
    let crashPoint: CommitStep?
    private let condition = NSCondition()
    private var rules: CrossShardBatchRules
    /// Called once, on the writer thread of the last shard to finish.
    private let onDone: @Sendable (CrossShardBatch) -> Void

    init(members: [BatchMember], gate: CommitGate, crashPoint: CommitStep?, onDone: @escaping @Sendable (CrossShardBatch) -> Void) {
        id = (0..<16).map { _ in UInt8.random(in: 0...255) }
        self.members = members
        rules = CrossShardBatchRules(memberCount: members.count,
                                     participants: members.reduce(into: Set<Int>()) { $0.formUnion($1.byShard.keys) })
        participants = rules.participants
        recordShard = rules.recordShard
        self.gate = gate
        self.crashPoint = crashPoint
        self.onDone = onDone
    }

    func crash(at step: CommitStep) {
        if crashPoint == step { kill(getpid(), SIGKILL) }
    }

    /// This shard's part: each member's actions on it.
    func actions(on shard: Int) -> [(member: Int, action: TransactAction)] {
        members.enumerated().flatMap { member, m in (m.byShard[shard] ?? []).map { (member, $0) } }
    }

    private func locked<R>(_ body: (inout CrossShardBatchRules) -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body(&rules)
    }

    /// Records a shard's plans (and the members it could not plan), then waits until every shard
    /// has planned. - Returns: per member, whether it commits.
    func post(shard: Int, _ plan: [CrossShardBatchRules.Planned], failed: [Int: any Error]) -> [Bool] {
        condition.lock()
        defer { condition.unlock() }
        if rules.post(shard: shard, plan, failed: failed) { condition.broadcast() }
        while rules.commits == nil { condition.wait() }
        return rules.commits!
    }

    /// A shard that could not take part: nothing commits unless already decided.
    func abandon(_ error: any Error) {
        locked { $0.abandon(error) }
        condition.broadcast()
    }

    /// The committing members' writes on the other shards, for the commit record.
    func recordEntries() -> [TransactionLog.Entry] { locked { $0.recordEntries() } }

    func closeGate() {
        if locked({ $0.closeGate() }) { gate.close() }
    }

    /// Waits until the commit record's shard committed. - Returns: whether it did.
    func waitForRecord() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while rules.recordCommitted == nil { condition.wait() }
        return rules.recordCommitted!
    }

    /// Records the index capacity of one shard's writes (by member and position).
    func applied(_ capacity: [(member: Int, position: Int, units: ConsumedCapacity)]) {
        locked { $0.applied(capacity) }
    }

    /// Called by each shard once its group committed (or failed).
    func finished(shard: Int, committed: Bool, error: (any Error)?) {
        // Before the other shards learn of the commit, so none of them has committed yet.
        if shard == recordShard && committed { crash(at: .recordCommitted) }
        let action = locked { $0.finished(shard: shard, committed: committed, error: error) }
        condition.broadcast()
        if shard != recordShard && committed { crash(at: .partCommitted) }
        if action.openGate { gate.open() }
        if action.done { onDone(self) }
    }

    /// Shards that failed to commit their part after the record was committed: they must be redone.
    var unfinished: [Int] { locked { $0.unfinished } }

    /// After every shard finished: what member `index` came to.
    func outcome(_ index: Int) -> MemberOutcome { locked { $0.outcome(index) } }

    /// Whether any member committed (after every shard finished).
    var committedAny: Bool { locked { $0.committedAny } }
}

/// One shard's part of a batch, run on that shard's writer as the last write of its group (so
/// that group commits before the writer waits on anything else).
final class TransactionParticipant: PendingWrite, @unchecked Sendable {
    // @unchecked: `ran` and `succeeded` are used only on the writer thread.
    let batch: CrossShardBatch
    let shard: Int
    let actions: [(member: Int, action: TransactAction)]
    private var ran = false
    private var succeeded = false

    init(batch: CrossShardBatch, shard: Int) {
        self.batch = batch
        self.shard = shard
        actions = batch.actions(on: shard)
    }

    var endsGroup: Bool { true }

    func run(_ context: WriteContext) throws {
        ran = true
        succeeded = false
        var plan: [(member: Int, position: Int, plan: ActionPlan)] = []
        var failed: [Int: any Error] = [:]
        for (member, action) in actions where failed[member] == nil {
            do {
                plan.append((member, action.position, try action.plan(in: context)))
            } catch {
                failed[member] = error
            }
        }
        let commits = batch.post(shard: shard, plan, failed: failed)
        guard commits.contains(true) else { throw Aborted() }
        var writes: [(member: Int, position: Int, write: PlannedWrite)] = []
        for entry in plan where commits[entry.member] {
            if case let .write(write, _) = entry.plan { writes.append((entry.member, entry.position, write)) }
        }
        let capacity = try context.apply(writes.map(\.write))
        batch.applied(zip(writes, capacity).map { (member: $0.member, position: $0.position, units: $1) })
        let db = try context.transactionsDatabase
        if shard == batch.recordShard {
            batch.crash(at: .planned)
            try context.put(db, key: TransactionLog.recordKey(batch.id), value: TransactionLog.encode(batch.recordEntries()))
            // From here until the last shard committed, no reader opens a snapshot.
            batch.closeGate()
            batch.crash(at: .recordWritten)
        } else if !writes.isEmpty {
            try context.put(db, key: TransactionLog.markerKey(batch.id), value: [])
            guard batch.waitForRecord() else { throw Aborted() }
        }
        succeeded = true
    }

    func fail(_ error: any Error) { succeeded = false }

    func complete(_ error: (any Error)?) {
        if !ran { batch.abandon(error ?? ShoalError.internalError("A shard did not run its part of a transaction")) }
        batch.finished(shard: shard, committed: error == nil && succeeded, error: error)
    }

    /// This shard's part is not written (the transactions were cancelled or another shard failed).
    struct Aborted: Error {}
}
