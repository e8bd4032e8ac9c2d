/// The rules of one batch of transactions spanning shards, as a value: each event (a shard
/// posts its plans, a shard cannot take part, the gate is asked to close, a shard finished)
/// changes the state and returns what the caller must do, so every transition is tested without
/// threads or storage (`CrossShardBatchRulesTests`). ``CrossShardBatch`` holds one under its
/// condition and only executes the answers (wake the waiting shards, close or open the commit
/// gate, call back when done).
///
/// The commit point is the commit of the record shard's group (the lowest-numbered shard, which
/// writes the commit record): a shard that fails before it commits nothing anywhere; a shard that
/// fails after it is *unfinished* and redone from the record.
struct CrossShardBatchRules {
    typealias Planned = (member: Int, position: Int, plan: ActionPlan)

    let memberCount: Int
    /// Every shard of every member.
    let participants: Set<Int>
    /// The shard that commits first and holds the commit record.
    let recordShard: Int
    private(set) var plans: [Int: [Planned]] = [:]
    /// Per member, once every shard has planned (or one could not take part): whether it commits.
    private(set) var commits: [Bool]?
    /// Members that could not be planned, and why.
    private(set) var failures: [Int: any Error] = [:]
    /// A failure of the whole batch (a shard could not take part, or the record shard failed).
    private(set) var batchFailure: (any Error)?
    /// Whether the commit record's shard committed (nil until it finished).
    private(set) var recordCommitted: Bool?
    private(set) var gateClosed = false
    private(set) var finished: Set<Int> = []
    /// Shards that failed to commit their part after the commit point: they must be redone.
    private(set) var unfinished: [Int] = []
    private(set) var indexCapacity: [Int: [Int: ConsumedCapacity]] = [:]

    init(memberCount: Int, participants: Set<Int>) {
        precondition(!participants.isEmpty, "a batch spans at least one shard")
        self.memberCount = memberCount
        self.participants = participants
        recordShard = participants.min()!
    }

    /// A shard posts its plans and the members it could not plan. - Returns: true when this post
    /// decided the batch (every shard has planned): wake the shards waiting for the decision.
    mutating func post(shard: Int, _ plan: [Planned], failed: [Int: any Error]) -> Bool {
        plans[shard] = plan
        failures.merge(failed) { first, _ in first }
        guard commits == nil, plans.count == participants.count else { return false }
        var ok = Array(repeating: true, count: memberCount)
        for entry in plans.values.joined() where entry.plan.failure != nil { ok[entry.member] = false }
        for member in failures.keys { ok[member] = false }
        commits = ok
        return true
    }

    /// A shard could not take part (its writer never ran the part): nothing commits, unless the
    /// batch was already decided. Wake the waiting shards either way.
    mutating func abandon(_ error: any Error) {
        guard commits == nil else { return }
        commits = Array(repeating: false, count: memberCount)
        batchFailure = error
    }

    /// The record shard asks to close the commit gate. - Returns: true the first time (close it).
    mutating func closeGate() -> Bool {
        defer { gateClosed = true }
        return !gateClosed
    }

    /// One shard's writes' index capacity, by member and position.
    mutating func applied(_ capacity: [(member: Int, position: Int, units: ConsumedCapacity)]) {
        for entry in capacity { indexCapacity[entry.member, default: [:]][entry.position] = entry.units }
    }

    /// What to do when a shard finished.
    struct FinishAction: Equatable {
        /// The last shard finished with the gate closed: open it.
        var openGate = false
        /// The last shard finished: the batch is done (call back once).
        var done = false
    }

    /// A shard's group committed (or failed). Wake the shards waiting for the record.
    mutating func finished(shard: Int, committed: Bool, error: (any Error)?) -> FinishAction {
        guard participants.contains(shard), !finished.contains(shard) else { return FinishAction() }
        let anyCommits = commits?.contains(true) ?? false
        if shard == recordShard {
            recordCommitted = committed && anyCommits
            if !committed, let error, batchFailure == nil { batchFailure = error }
        } else if !committed && anyCommits && recordCommitted == true {
            unfinished.append(shard)
        }
        finished.insert(shard)
        let last = finished.count == participants.count
        return FinishAction(openGate: last && gateClosed, done: last)
    }

    /// Whether any member committed (after every shard finished).
    var committedAny: Bool { (commits?.contains(true) ?? false) && recordCommitted == true }

    /// After every shard finished: what member `index` came to.
    func outcome(_ index: Int) -> MemberOutcome {
        var outcome = MemberOutcome()
        outcome.committed = (commits?[index] ?? false) && recordCommitted == true
        for entry in plans.values.joined() where entry.member == index { outcome.plans[entry.position] = entry.plan }
        outcome.indexes = indexCapacity[index] ?? [:]
        outcome.failure = failures[index] ?? (outcome.committed ? nil : batchFailure)
        return outcome
    }

    /// The committing members' writes on the shards other than the record's, for the commit record.
    func recordEntries() -> [TransactionLog.Entry] {
        guard let commits else { return [] }
        var entries: [TransactionLog.Entry] = []
        for (shard, plan) in plans.sorted(by: { $0.key < $1.key }) where shard != recordShard {
            for entry in plan where commits[entry.member] {
                if case let .write(write, _) = entry.plan {
                    entries.append(TransactionLog.Entry(shard: shard, tableID: write.tableID, key: write.key, value: write.new?.value))
                }
            }
        }
        return entries
    }
}
