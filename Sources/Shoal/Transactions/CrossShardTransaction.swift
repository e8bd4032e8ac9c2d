import Foundation

/// Steps of the commit of a transaction spanning shards, where a test may have the process killed
/// (``DatabaseOptions/testCrashPoint``).
enum CommitStep: String, CaseIterable, Sendable {
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

/// What the shards of one transaction share while they commit it: each shard's writer runs a
/// ``TransactionParticipant`` that plans its actions, waits here for every shard's plan, then
/// writes (or not) as decided. Only the shard writer threads drive it, so no task that a waiting
/// reader could hold up is needed to finish.
final class CrossShardTransaction: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    enum Decision { case commit, abort }

    let id: [UInt8]
    /// The shard that commits first and holds the commit record.
    let recordShard: Int
    let participants: Set<Int>
    let gate: CommitGate
    let crashPoint: CommitStep?
    private let condition = NSCondition()
    private var plans: [Int: [(position: Int, plan: ActionPlan)]] = [:]
    private var decision: Decision?
    /// Whether the commit record's shard committed (nil until it finished).
    private var recordCommitted: Bool?
    private var gateClosed = false
    private var finished: Set<Int> = []
    /// Shards that failed to commit their part after the record was committed: they must be redone.
    private(set) var unfinished: [Int] = []
    /// Index capacity of the applied writes, by action position.
    private var indexCapacity: [Int: ConsumedCapacity] = [:]
    private var done: CheckedContinuation<Void, Never>?
    private var isDone = false
    /// A failure that stopped a shard from taking part (the database closing, an I/O error).
    private(set) var failure: (any Error)?

    init(participants: Set<Int>, gate: CommitGate, crashPoint: CommitStep?) {
        id = (0..<16).map { _ in UInt8.random(in: 0...255) }
        self.participants = participants
        recordShard = participants.min()!
        self.gate = gate
        self.crashPoint = crashPoint
    }

    func crash(at step: CommitStep) {
        if crashPoint == step { kill(getpid(), SIGKILL) }
    }

    /// Records a shard's plan and waits until every shard's is in. - Returns: the decision.
    func post(shard: Int, _ plan: [(position: Int, plan: ActionPlan)]) -> Decision {
        condition.lock()
        defer { condition.unlock() }
        plans[shard] = plan
        if decision == nil && plans.count == participants.count {
            let failed = plans.values.contains { $0.contains { $0.plan.failure != nil } }
            decision = failed ? .abort : .commit
            condition.broadcast()
        }
        while decision == nil { condition.wait() }
        return decision!
    }

    /// A shard that could not take part: the transaction aborts unless already decided.
    func abandon(_ error: any Error) {
        condition.lock()
        if decision == nil {
            decision = .abort
            failure = error
        }
        condition.broadcast()
        condition.unlock()
    }

    /// The other shards' writes, for the commit record.
    func recordEntries() -> [TransactionLog.Entry] {
        condition.lock()
        defer { condition.unlock() }
        var entries: [TransactionLog.Entry] = []
        for (shard, plan) in plans.sorted(by: { $0.key < $1.key }) where shard != recordShard {
            for case let .write(write, _) in plan.map(\.plan) {
                entries.append(TransactionLog.Entry(shard: shard, tableID: write.tableID, key: write.key, value: write.new?.value))
            }
        }
        return entries
    }

    func closeGate() {
        condition.lock()
        let close = !gateClosed
        gateClosed = true
        condition.unlock()
        if close { gate.close() }
    }

    /// Waits until the commit record's shard committed. - Returns: whether it did.
    func waitForRecord() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while recordCommitted == nil { condition.wait() }
        return recordCommitted!
    }

    func applied(_ capacity: [Int: ConsumedCapacity]) {
        condition.lock()
        indexCapacity.merge(capacity) { $1 }
        condition.unlock()
    }

    /// Called by each shard once its group committed (or failed).
    func finished(shard: Int, committed: Bool, error: (any Error)?) {
        // Before the other shards learn of the commit, so none of them has committed yet.
        if shard == recordShard && committed { crash(at: .recordCommitted) }
        condition.lock()
        if shard == recordShard {
            recordCommitted = committed && decision == .commit
            if !committed, let error, failure == nil { failure = error }
        } else if !committed && decision == .commit && recordCommitted == true {
            unfinished.append(shard)
        }
        finished.insert(shard)
        condition.broadcast()
        let last = finished.count == participants.count
        let reopen = last && gateClosed
        let waiter = last ? done : nil
        if last { isDone = true; done = nil }
        condition.unlock()
        if shard != recordShard && committed { crash(at: .partCommitted) }
        if reopen { gate.open() }
        waiter?.resume()
    }

    /// Waits until every shard finished.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if isDone {
                condition.unlock()
                continuation.resume()
            } else {
                done = continuation
                condition.unlock()
            }
        }
    }

    /// After every shard finished: the decision, every action's plan by position, the capacity of the indexes.
    var outcome: (committed: Bool, plans: [Int: ActionPlan], indexes: [Int: ConsumedCapacity]) {
        condition.lock()
        defer { condition.unlock() }
        var byPosition: [Int: ActionPlan] = [:]
        for plan in plans.values { for entry in plan { byPosition[entry.position] = entry.plan } }
        return (decision == .commit && recordCommitted == true, byPosition, indexCapacity)
    }
}

/// One shard's part of a transaction spanning shards, run on that shard's writer as the last
/// write of its group (so that group commits before the writer waits on anything else).
final class TransactionParticipant: PendingWrite, @unchecked Sendable {
    // @unchecked: `ran` and `succeeded` are used only on the writer thread.
    let transaction: CrossShardTransaction
    let shard: Int
    let actions: [TransactAction]
    private var ran = false
    private var succeeded = false

    init(transaction: CrossShardTransaction, shard: Int, actions: [TransactAction]) {
        self.transaction = transaction
        self.shard = shard
        self.actions = actions
    }

    var endsGroup: Bool { true }

    func run(_ context: WriteContext) throws {
        ran = true
        succeeded = false
        let plan: [(position: Int, plan: ActionPlan)]
        do {
            plan = try actions.map { ($0.position, try $0.plan(in: context)) }
        } catch {
            transaction.abandon(error)
            throw error
        }
        guard transaction.post(shard: shard, plan) == .commit else { throw Aborted() }
        let writes = plan.compactMap { entry -> (Int, PlannedWrite)? in
            if case let .write(write, _) = entry.plan { return (entry.position, write) }
            return nil
        }
        let capacity = try context.apply(writes.map(\.1))
        transaction.applied(Dictionary(uniqueKeysWithValues: zip(writes.map(\.0), capacity)))
        let db = try context.transactionsDatabase
        if shard == transaction.recordShard {
            transaction.crash(at: .planned)
            try context.put(db, key: TransactionLog.recordKey(transaction.id), value: TransactionLog.encode(transaction.recordEntries()))
            // From here until the last shard committed, no reader opens a snapshot.
            transaction.closeGate()
            transaction.crash(at: .recordWritten)
        } else {
            try context.put(db, key: TransactionLog.markerKey(transaction.id), value: [])
            guard transaction.waitForRecord() else { throw Aborted() }
        }
        succeeded = true
    }

    func fail(_ error: any Error) { succeeded = false }

    func complete(_ error: (any Error)?) {
        if !ran { transaction.abandon(error ?? ShoalError.internalError("A shard did not run its part of a transaction")) }
        transaction.finished(shard: shard, committed: error == nil && succeeded, error: error)
    }

    /// This shard's part is not written (the transaction was cancelled or another shard failed).
    struct Aborted: Error {}
}
