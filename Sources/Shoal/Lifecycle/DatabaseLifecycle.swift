import Foundation
import Synchronization

/// The open database of a data directory, leased to requests, and its lifecycle: an exclusive
/// operation (an online reshard) stops new leases, waits for the ones out to come back, closes the
/// database, works on the directory and opens it again; requests that arrive meanwhile wait and
/// then run against the new database, so clients see a delay, never an error.
///
/// Should the directory not open again (a full disk, say), the lifecycle is unavailable: every lease
/// from then on fails with an `InternalServerError` that says why, and `onUnavailable` is told
/// once (a server program may decide to exit; the engine never does).
public final class DatabaseLifecycle: Sendable {
    /// How the directory is opened again after an exclusive operation (same options, functions
    /// and failure sender installed).
    public typealias Reopen = @Sendable (_ closed: Database) async throws -> Database

    /// Opens the closed database's directory again with its options, taking over its functions
    /// and faults: what snapshots, rollback and an online reshard need.
    public static let sameDirectory: Reopen = { closed in
        let reopened = try Database.open(at: closed.path, options: closed.options)
        reopened.adoptFunctions(from: closed)
        return reopened
    }

    private struct State {
        var database: Database
        var gate = LeaseGate<CheckedContinuation<Void, Never>>()
        /// Why nothing can be served any more (the directory did not open again).
        var unavailable: ShoalError?
    }

    private let state: Mutex<State>
    private let resharding = Mutex(false)
    /// The running reshard's items examined and total.
    private let progress = Mutex<(done: Int, total: Int)?>(nil)
    let path: String?
    let durability: Durability
    let reopen: Reopen?
    let onUnavailable: (@Sendable (ShoalError) -> Void)?
    /// Testing only: passed to ``Reshard/run`` (a crash or failure at that step).
    let testReshardCrashAt: String?

    /// - Parameters:
    ///   - path: the data directory (nil: the database cannot be swapped, so no online reshard).
    ///   - onUnavailable: told when the directory could not be opened again.
    public init(_ database: Database, path: String? = nil, durability: Durability = .sync, testReshardCrashAt: String? = nil,
                reopen: Reopen? = nil, onUnavailable: (@Sendable (ShoalError) -> Void)? = nil) {
        state = Mutex(State(database: database))
        self.path = path
        self.durability = durability
        self.reopen = reopen
        self.onUnavailable = onUnavailable
        self.testReshardCrashAt = testReshardCrashAt
    }

    /// The database now (for work that is not a request, such as closing it at shutdown).
    public var current: Database { state.withLock { $0.database } }

    /// The running reshard's progress (nil when none runs).
    public var reshardStatus: (done: Int, total: Int)? { progress.withLock { $0 } }

    /// Takes a lease on the database, waiting while an exclusive operation runs. Every lease is
    /// given back with ``release()``.
    public func lease() async throws(ShoalError) -> Database {
        while true {
            let now = state.withLock { state -> Result<Database, ShoalError>? in
                if let unavailable = state.unavailable { return .failure(unavailable) }
                return state.gate.tryAcquire() ? .success(state.database) : nil
            }
            if let now { return try now.get() }
            // Parked until the exclusive operation ends; then try again.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.unavailable != nil { return true }
                    guard state.gate.exclusive else { return true }
                    _ = state.gate.acquire(parking: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Gives a lease back.
    public func release() {
        let action = state.withLock { $0.gate.release() }
        if case .resumeExclusive(let waiter) = action { waiter.resume() }
    }

    /// Runs `body` with the database under a lease (waiting while an exclusive operation runs).
    public func use<T>(_ body: (Database) async throws(ShoalError) -> T) async throws(ShoalError) -> T {
        let database = try await lease()
        defer { release() }
        return try await body(database)
    }

    /// Waits until no lease is out and keeps new requests waiting. - Returns: the database, now
    /// the caller's alone until ``endExclusive(serving:)``.
    func beginExclusive() async throws(ShoalError) -> Database {
        switch state.withLock({ $0.gate.beginExclusive() }) {
        case .refused:
            throw .validation("Another exclusive operation on this data directory is running")
        case .run:
            break
        case .waitForLeases:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { $0.gate.parkExclusive(continuation) }
                if !parked { continuation.resume() }
            }
        }
        return state.withLock { $0.database }
    }

    /// Ends the exclusive operation: requests go on against `next`, or fail with why there is none.
    func endExclusive(serving next: Result<Database, ShoalError>) {
        let waiting = state.withLock { state in
            switch next {
            case .success(let database): state.database = database
            case .failure(let error): state.unavailable = error
            }
            return state.gate.endExclusive()
        }
        for waiter in waiting { waiter.resume() }
        if case .failure(let error) = next { onUnavailable?(error) }
    }

    /// Reshards the directory online. Growing, the moving items are first copied into the new
    /// shards while requests go on (``Database/precopyForReshard(to:testCrashAt:progress:)``); then
    /// requests wait while the database is closed, the reshard finishes (copying only what was
    /// written meanwhile) and the directory opens again. Shrinking, requests wait for the whole
    /// reshard. A reshard that fails is rolled back (before its commit point) or finished (after
    /// it), as the directory's recorded phase says, before the directory opens again.
    public func reshard(to shardCount: Int) async throws(ShoalError) -> ReshardReport {
        guard let path, let reopen else { throw .validation("This database cannot be resharded while it is open") }
        guard resharding.withLock({ running in
            defer { running = true }
            return !running
        }) else { throw .validation("Another reshard of this data directory is running") }
        progress.withLock { $0 = (0, 0) }
        defer {
            progress.withLock { $0 = nil }
            resharding.withLock { $0 = false }
        }
        let started = ContinuousClock.now
        let crashAt = testReshardCrashAt
        let report: @Sendable (Int, Int) -> Void = { done, total in self.progress.withLock { $0 = (done, total) } }
        let precopy = try await use { database async throws(ShoalError) in
            try await database.precopyForReshard(to: shardCount, testCrashAt: crashAt, progress: report)
        }
        let database = try await beginExclusive()
        let (next, outcome) = await finishReshard(database, to: shardCount, at: path, reopen: reopen, precopy: precopy,
                                                  started: started, progress: report)
        endExclusive(serving: next)
        return try outcome.get()
    }

    /// The held part of a reshard, on the database no request uses: checks, closes it, reshards
    /// the directory (settling it if that fails) and opens it again. - Returns: the database to
    /// serve from then on (or why there is none) and the reshard's outcome.
    private func finishReshard(_ database: Database, to shardCount: Int, at path: String, reopen: Reopen,
                               precopy: ReshardPreCopy?, started: ContinuousClock.Instant,
                               progress report: @escaping @Sendable (Int, Int) -> Void) async
        -> (Result<Database, ShoalError>, Result<ReshardReport, ShoalError>) {
        var precopy = precopy
        let held = ContinuousClock.now
        do throws(ShoalError) {
            try Reshard.checkReady(database, shardCount: shardCount)
        } catch {
            // The database goes on as it was; its writers stop noting (the next reshard removes the copies).
            if precopy != nil { database.finishPrecopy(&precopy!) }
            return (.success(database), .failure(error))
        }
        // An in-memory database's folder outlives this instance: the reopened one removes it.
        let temporaryFolder = database.handOverTemporaryFolder()
        await database.shutdown()
        if precopy != nil { database.finishPrecopy(&precopy!) }
        var result: Result<ReshardReport, ShoalError>
        do throws(ShoalError) {
            var done = try await Reshard.run(at: path, shardCount: shardCount, durability: durability, testCrashAt: testReshardCrashAt,
                                             precopy: precopy, progress: report)
            done.copiedWhileServing = precopy?.copied ?? 0
            result = .success(done)
        } catch {
            result = .failure(error)
            // Left half-done (a full disk, say), the directory would not open: settle it.
            await DatabaseLifecycle.settleFailedReshard(at: path, durability: durability)
        }
        do {
            let reopened = try await reopen(database)
            reopened.adoptTemporaryFolder(temporaryFolder)
            // Held from when the requests in flight had finished until the directory was open again.
            if case .success(var done) = result {
                done.paused = ContinuousClock.now - held
                done.duration = ContinuousClock.now - started
                result = .success(done)
            }
            return (.success(reopened), result)
        } catch {
            if let temporaryFolder { try? FileManager.default.removeItem(atPath: temporaryFolder) }
            let unavailable = ShoalError.internalError("The data directory \(path) could not be opened again after resharding: \(error)")
            return (.failure(unavailable), .failure(unavailable))
        }
    }

    /// Rolls back a reshard that failed before its commit point, or finishes one that failed after
    /// it, by the phase the directory recorded (nothing recorded: the reshard refused before it began).
    static func settleFailedReshard(at path: String, durability: Durability) async {
        guard let pending = try? ReshardDirectory.pendingState(path) else { return }
        switch pending.phase {
        case .copy:
            _ = try? await Reshard.run(at: path, shardCount: pending.from, rollBack: true, durability: durability)
        case .cleanup:
            _ = try? await Reshard.run(at: path, shardCount: pending.to, durability: durability)
        }
    }
}
