import Foundation
import Synchronization
import Testing
@testable import Shoal

/// The lease gate's rules, driven event by event without threads (waiters are numbers).
@Suite struct LeaseGateTests {
    @Test func leasesAreGrantedWhileNoExclusiveOperationRuns() {
        var gate = LeaseGate<Int>()
        let r1 = gate.tryAcquire()
        #expect(r1)
        let r2 = gate.acquire(parking: 1)
        #expect(r2 == .granted)
        #expect(gate.leases == 2 && gate.waiting.isEmpty)
        guard case .none = gate.release() else { Issue.record("release"); return }
        guard case .none = gate.release() else { Issue.record("release"); return }
        #expect(gate.leases == 0)
    }

    @Test func anExclusiveOperationWaitsForTheLeasesOutAndHoldsNewOnes() {
        var gate = LeaseGate<Int>()
        let r3 = gate.tryAcquire()
        #expect(r3)
        let r4 = gate.tryAcquire()
        #expect(r4)
        guard case .waitForLeases = gate.beginExclusive() else { Issue.record("begin"); return }
        let parked = gate.parkExclusive(100)
        #expect(parked)
        // New requests wait, in arrival order.
        let r5 = gate.tryAcquire()
        #expect(!r5)
        let r6 = gate.acquire(parking: 1)
        #expect(r6 == .wait)
        let r7 = gate.acquire(parking: 2)
        #expect(r7 == .wait)
        guard case .none = gate.release() else { Issue.record("first release"); return }
        // The last lease out resumes the exclusive operation, once.
        guard case .resumeExclusive(let drained) = gate.release() else { Issue.record("last release"); return }
        #expect(drained == 100)
        let r8 = gate.endExclusive()
        #expect(r8 == [1, 2])
        #expect(!gate.exclusive && gate.waiting.isEmpty)
        let r9 = gate.tryAcquire()
        #expect(r9)
    }

    @Test func anExclusiveOperationWithNoLeaseOutRunsAtOnce() {
        var gate = LeaseGate<Int>()
        guard case .run = gate.beginExclusive() else { Issue.record("begin"); return }
        // A second exclusive operation is refused while the first runs.
        guard case .refused = gate.beginExclusive() else { Issue.record("second begin"); return }
        let r10 = gate.acquire(parking: 1)
        #expect(r10 == .wait)
        let r11 = gate.endExclusive()
        #expect(r11 == [1])
        // Ending twice resumes nobody twice.
        let r12 = gate.endExclusive()
        #expect(r12.isEmpty)
    }

    @Test func leasesThatComeBackBeforeTheOperationParksLetItRunAtOnce() {
        var gate = LeaseGate<Int>()
        let r1 = gate.tryAcquire()
        #expect(r1)
        guard case .waitForLeases = gate.beginExclusive() else { Issue.record("begin"); return }
        // The last lease comes back between the two steps: nobody to resume yet...
        guard case .none = gate.release() else { Issue.record("release"); return }
        // ...so the operation does not park, and runs.
        let parked = gate.parkExclusive(100)
        #expect(!parked)
        #expect(gate.exclusive)
        let r2 = gate.endExclusive()
        #expect(r2.isEmpty)
    }

    @Test func aLeaseReleasedTwiceIsReportedAndChangesNothing() {
        var gate = LeaseGate<Int>()
        let r13 = gate.tryAcquire()
        #expect(r13)
        guard case .none = gate.release() else { Issue.record("release"); return }
        guard case .unbalanced = gate.release() else { Issue.record("second release"); return }
        #expect(gate.leases == 0)
        // While an exclusive operation waits, an unbalanced release does not resume it early.
        let r14 = gate.tryAcquire()
        #expect(r14)
        guard case .waitForLeases = gate.beginExclusive() else { Issue.record("begin"); return }
        let parked = gate.parkExclusive(100)
        #expect(parked)
        guard case .resumeExclusive = gate.release() else { Issue.record("real release"); return }
        guard case .unbalanced = gate.release() else { Issue.record("extra release"); return }
    }
}

/// The database lifecycle: a directory that does not open again makes it unavailable, with a typed
/// error for every lease and one notice, never a hang or an exit.
@Suite struct DatabaseLifecycleTests {
    @Test func aDirectoryThatDoesNotOpenAgainMakesThePoolUnavailable() async throws {
        let dir = TemporaryDirectory()
        let options = DatabaseOptions(shardCount: 2, durability: .noSync)
        let database = try Database.open(at: dir.path, options: options)
        let notices = Mutex<[String]>([])
        let lifecycle = DatabaseLifecycle(database, path: dir.path, durability: .noSync, reopen: { _ in
            throw ShoalError.internalError("disk full")
        }, onUnavailable: { error in notices.withLock { $0.append(error.message) } })
        _ = try await lifecycle.use { db async throws(ShoalError) in try await db.createTable(CreateTableRequest(tableName: "Tbl", partitionKey: ("pk", .s))) }
        do {
            _ = try await lifecycle.reshard(to: 3)
            Issue.record("the reshard succeeded")
        } catch {
            #expect(error.kind == .internalServerError)
            #expect(error.message.contains("could not be opened again after resharding") && error.message.contains("disk full"))
        }
        #expect(notices.withLock { $0.count } == 1)
        // Every lease from now on fails with the reason; none waits.
        await expectError(.internalServerError, "The data directory \(dir.path) could not be opened again after resharding: InternalServerError: disk full") {
            _ = try await lifecycle.lease()
        }
        // The directory itself was resharded and opens.
        let reopened = try Database.open(at: dir.path, options: options)
        #expect(reopened.shardCount == 3)
        reopened.close()
    }

    @Test func aPoolWithoutADirectoryCannotReshard() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        let lifecycle = DatabaseLifecycle(db)
        await expectError(.validation, "This database cannot be resharded while it is open") { _ = try await lifecycle.reshard(to: 3) }
        #expect(try await lifecycle.use { db async throws(ShoalError) in db.shardCount } == 2)
        db.close()
    }
}
