import Testing
@testable import Shoal

/// The rules of a batch of transactions spanning shards, driven event by event without threads
/// or storage: the decision, the commit point, the gate and the outcomes.
@Suite struct CrossShardBatchRulesTests {
    struct Failure: Error, Equatable { let why: String }

    static func write(_ key: UInt8, table: String = "t") -> ActionPlan {
        .write(PlannedWrite(tableID: table, key: [key], old: nil, new: NewItem(["pk": .s("k\(key)")], size: 4)), bytes: 4)
    }

    static let cancelled = ActionPlan.failed(CancellationReason(code: "ConditionalCheckFailed", message: "The conditional request failed"))

    /// Two members on shards 1 and 3: member 0 writes on both, member 1 only on shard 3.
    static func twoMembers() -> CrossShardBatchRules {
        CrossShardBatchRules(memberCount: 2, participants: [3, 1])
    }

    @Test func theBatchIsDecidedWhenTheLastShardPostsAndTheRecordShardIsTheLowest() {
        var rules = Self.twoMembers()
        #expect(rules.recordShard == 1)
        let first = rules.post(shard: 3, [(0, 1, Self.write(1)), (1, 0, Self.write(2))], failed: [:])
        #expect(!first)
        #expect(rules.commits == nil)
        let last = rules.post(shard: 1, [(0, 0, Self.write(3))], failed: [:])
        #expect(last)
        #expect(rules.commits == [true, true])
        // The commit record lists the committing writes of the other shards, not the record shard's.
        #expect(rules.recordEntries().map(\.key) == [[1], [2]])
        #expect(rules.recordEntries().allSatisfy { $0.shard == 3 })
    }

    @Test func aFailedActionCancelsItsMemberOnEveryShardAndOnlyIt() {
        var rules = Self.twoMembers()
        _ = rules.post(shard: 1, [(0, 0, Self.cancelled)], failed: [:])
        _ = rules.post(shard: 3, [(0, 1, Self.write(1)), (1, 0, Self.write(2))], failed: [:])
        #expect(rules.commits == [false, true])
        #expect(rules.recordEntries().map(\.key) == [[2]])
        // A member a shard could not plan at all (its table deleted, say) is cancelled too.
        var other = Self.twoMembers()
        _ = other.post(shard: 1, [(0, 0, Self.write(3))], failed: [1: Failure(why: "gone")])
        _ = other.post(shard: 3, [(0, 1, Self.write(1))], failed: [:])
        #expect(other.commits == [true, false])
        #expect((other.outcome(1).failure as? Failure) == Failure(why: "gone"))
    }

    @Test func aShardThatCannotTakePartCancelsAnUndecidedBatch() {
        var rules = Self.twoMembers()
        _ = rules.post(shard: 1, [(0, 0, Self.write(3))], failed: [:])
        rules.abandon(Failure(why: "closing"))
        #expect(rules.commits == [false, false])
        // Once decided, a late abandon changes nothing.
        var decided = Self.twoMembers()
        _ = decided.post(shard: 1, [(0, 0, Self.write(3))], failed: [:])
        _ = decided.post(shard: 3, [(1, 0, Self.write(2))], failed: [:])
        decided.abandon(Failure(why: "late"))
        #expect(decided.commits == [true, true])
        #expect(decided.batchFailure == nil)
    }

    @Test func everyShardCommitsAndTheGateOpensWhenTheLastFinishes() {
        var rules = Self.twoMembers()
        _ = rules.post(shard: 1, [(0, 0, Self.write(3))], failed: [:])
        _ = rules.post(shard: 3, [(0, 1, Self.write(1)), (1, 0, Self.write(2))], failed: [:])
        let step1 = rules.closeGate()
        #expect(step1)
        let step2 = rules.closeGate()
        #expect(!step2)
        let step3 = rules.finished(shard: 1, committed: true, error: nil)
        #expect(step3 == .init(openGate: false, done: false))
        #expect(rules.recordCommitted == true)
        let step4 = rules.finished(shard: 3, committed: true, error: nil)
        #expect(step4 == .init(openGate: true, done: true))
        #expect(rules.committedAny && rules.unfinished.isEmpty)
        #expect(rules.outcome(0).committed && rules.outcome(1).committed)
        #expect(rules.outcome(0).plans.keys.sorted() == [0, 1])
        // A shard reported twice is not counted twice (done is answered once).
        let step5 = rules.finished(shard: 3, committed: true, error: nil)
        #expect(step5 == .init())
    }

    @Test func aRecordShardThatFailsBeforeTheCommitPointCommitsNothing() {
        var rules = Self.twoMembers()
        _ = rules.post(shard: 1, [(0, 0, Self.write(3))], failed: [:])
        _ = rules.post(shard: 3, [(0, 1, Self.write(1))], failed: [:])
        let step6 = rules.closeGate()
        #expect(step6)
        let recordFailed = rules.finished(shard: 1, committed: false, error: Failure(why: "disk full"))
        #expect(recordFailed == .init(openGate: false, done: false))
        // The other shard learns the record did not commit, aborts its part, and is not unfinished.
        #expect(rules.recordCommitted == false)
        let step7 = rules.finished(shard: 3, committed: false, error: nil)
        #expect(step7 == .init(openGate: true, done: true))
        #expect(rules.unfinished.isEmpty && !rules.committedAny)
        #expect(!rules.outcome(0).committed)
        #expect((rules.outcome(0).failure as? Failure) == Failure(why: "disk full"))
    }

    @Test func aShardThatFailsAfterTheCommitPointIsUnfinishedAndItsMembersCommitted() {
        var rules = CrossShardBatchRules(memberCount: 1, participants: [0, 2, 5])
        for shard in [0, 2, 5] { _ = rules.post(shard: shard, [(0, shard, Self.write(UInt8(shard)))], failed: [:]) }
        let step8 = rules.closeGate()
        #expect(step8)
        _ = rules.finished(shard: 0, committed: true, error: nil)
        _ = rules.finished(shard: 2, committed: false, error: Failure(why: "writer stopped"))
        let last = rules.finished(shard: 5, committed: true, error: nil)
        #expect(last == .init(openGate: true, done: true))
        // Past the commit point the transaction has happened: shard 2's part is redone from the record.
        #expect(rules.unfinished == [2])
        #expect(rules.outcome(0).committed && rules.outcome(0).failure == nil)
    }

    @Test func aBatchWhoseMembersAllFailNeverClosesTheGateOrRecordsACommit() {
        var rules = Self.twoMembers()
        _ = rules.post(shard: 1, [(0, 0, Self.cancelled)], failed: [:])
        _ = rules.post(shard: 3, [(1, 0, Self.cancelled)], failed: [:])
        #expect(rules.commits == [false, false])
        // The record shard commits its (empty) group: no commit is recorded.
        let step9 = rules.finished(shard: 1, committed: true, error: nil)
        #expect(step9 == .init())
        #expect(rules.recordCommitted == false)
        let step10 = rules.finished(shard: 3, committed: false, error: nil)
        #expect(step10 == .init(openGate: false, done: true))
        #expect(!rules.committedAny && rules.unfinished.isEmpty)
    }

    @Test func indexCapacityIsReportedPerMemberAndPosition() {
        var rules = Self.twoMembers()
        rules.applied([(member: 0, position: 2, units: ConsumedCapacity(table: 1, globalSecondaryIndexes: ["g": 1]))])
        #expect(rules.outcome(0).indexes[2]?.globalSecondaryIndexes["g"] == 1)
        #expect(rules.outcome(1).indexes.isEmpty)
    }
}
