import Foundation
import Shoal
import Synchronization

/// The database a server serves, and the gate that lets it be swapped for a resharded one while
/// the server keeps running: every request holds a lease on the current database; an exclusive
/// operation (an online reshard) stops new leases, waits for the ones out to come back, closes the
/// database, works on the directory, and opens it again. Requests that arrive meanwhile wait and
/// then run against the new database, so clients see a delay, never an error. Should the
/// directory fail to open again (a full disk, say), the process exits with status 70 and the reason
/// on standard error: nothing could be served.
public final class DatabaseHost: Sendable {
    /// How the server opens its directory again after an exclusive operation (same options,
    /// functions and failure sender installed).
    public typealias Reopen = @Sendable (_ closed: Database) async throws -> Database

    private struct State {
        var database: Database
        var dispatcher: OperationDispatcher
        var leases = 0
        var exclusive = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var drained: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    private let resharding = Mutex(false)
    /// The running reshard's items examined and total, for `shoal reshard`'s progress bar.
    private let reshardProgress = Mutex<(done: Int, total: Int)?>(nil)

    /// The running reshard's progress (nil when none runs).
    public var reshardStatus: (done: Int, total: Int)? { reshardProgress.withLock { $0 } }
    let path: String?
    let durability: Durability
    let reopen: Reopen?
    /// Testing only: passed to ``Reshard/run`` (the server kills itself in that phase).
    let testReshardCrashAt: String?

    /// - Parameters:
    ///   - path: the data directory (nil: the database cannot be swapped, so no online reshard).
    public init(_ database: Database, path: String? = nil, durability: Durability = .sync, testReshardCrashAt: String? = nil,
                reopen: Reopen? = nil) {
        state = Mutex(State(database: database, dispatcher: OperationDispatcher(database: database)))
        self.path = path
        self.durability = durability
        self.reopen = reopen
        self.testReshardCrashAt = testReshardCrashAt
    }

    /// The database now (for work that is not a request, such as closing it at shutdown).
    public var current: Database { state.withLock { $0.database } }

    /// Runs `body` with the current database, waiting first while an exclusive operation runs.
    func withDatabase<T, E: Error>(_ body: (Database, OperationDispatcher) async throws(E) -> T) async throws(E) -> T {
        var lease: (Database, OperationDispatcher)?
        while lease == nil {
            lease = state.withLock { state in
                guard !state.exclusive else { return nil }
                state.leases += 1
                return (state.database, state.dispatcher)
            }
            if lease == nil {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        if !state.exclusive { return true }
                        state.waiting.append(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
        }
        defer { release() }
        return try await body(lease!.0, lease!.1)
    }

    /// Runs `body` with the current database as a request does (waiting while a reshard runs).
    public func use<T, E: Error>(_ body: (Database) async throws(E) -> T) async throws(E) -> T {
        try await withDatabase { (database, _) async throws(E) -> T in try await body(database) }
    }

    private func release() {
        let drained = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.leases -= 1
            guard state.leases == 0, state.exclusive, let drained = state.drained else { return nil }
            state.drained = nil
            return drained
        }
        drained?.resume()
    }

    /// Waits until no request holds the database and keeps new ones waiting, then runs `body`,
    /// which closes the database and returns the one to serve from then on.
    func exclusive<T>(_ body: (Database) async -> (Database, T)) async throws(ShoalError) -> T {
        let started = state.withLock { state -> Bool in
            guard !state.exclusive else { return false }
            state.exclusive = true
            return true
        }
        guard started else { throw .validation("Another exclusive operation on this data directory is running") }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.leases == 0 { return true }
                state.drained = continuation
                return false
            }
            if now { continuation.resume() }
        }
        let (database, result) = await body(state.withLock { $0.database })
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.database = database
            state.dispatcher = OperationDispatcher(database: database)
            state.exclusive = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
        return result
    }

    /// Reshards the served directory. Growing, the moving items are first copied into the new
    /// shards while requests go on (``Database/precopyForReshard(to:testCrashAt:progress:)``); then requests
    /// wait while the database is closed, the reshard finishes (copying only what was written
    /// meanwhile) and the directory opens again. Shrinking, requests wait for the whole reshard.
    public func reshard(to shardCount: Int) async throws(ShoalError) -> ReshardReport {
        guard let path, let reopen else { throw .validation("This server cannot reshard its directory online") }
        guard resharding.withLock({ running in
            defer { running = true }
            return !running
        }) else { throw .validation("Another reshard of this data directory is running") }
        reshardProgress.withLock { $0 = (0, 0) }
        defer {
            reshardProgress.withLock { $0 = nil }
            resharding.withLock { $0 = false }
        }
        let started = ContinuousClock.now
        let crashAt = testReshardCrashAt
        let progress: @Sendable (Int, Int) -> Void = { done, total in self.reshardProgress.withLock { $0 = (done, total) } }
        var precopy = try await use { database async throws(ShoalError) in
            try await database.precopyForReshard(to: shardCount, testCrashAt: crashAt, progress: progress)
        }
        let outcome: Result<ReshardReport, ShoalError> = try await exclusive { database in
            let held = ContinuousClock.now
            let ready = Result { () throws(ShoalError) in try Reshard.checkReady(database, shardCount: shardCount) }
            if case .failure(let error) = ready {
                // The database goes on as it was; its writers stop noting (the next reshard removes the copies).
                if precopy != nil { database.finishPrecopy(&precopy!) }
                return (database, .failure(error))
            }
            await database.shutdown()
            if precopy != nil { database.finishPrecopy(&precopy!) }
            let result: Result<ReshardReport, ShoalError>
            do throws(ShoalError) {
                var report = try await Reshard.run(at: path, shardCount: shardCount, durability: durability, testCrashAt: testReshardCrashAt,
                                                   precopy: precopy, progress: progress)
                report.copiedWhileServing = precopy?.copied ?? 0
                result = .success(report)
            } catch {
                result = .failure(error)
                // Left half-done (a full disk, say), the directory would not open: undo it before
                // the commit point, or finish it after.
                await DatabaseHost.settleFailedReshard(at: path, shardCount: shardCount, durability: durability)
            }
            do {
                let reopened = try await reopen(database)
                // Held from when the requests in flight had finished until the directory was open again.
                return (reopened, result.map { report in
                    var report = report
                    report.paused = ContinuousClock.now - held
                    report.duration = ContinuousClock.now - started
                    return report
                })
            } catch {
                // Nothing can be served from a directory that does not open; say why and stop.
                FileHandle.standardError.write(Data("shoal: cannot open \(path) again after resharding: \(error)\n".utf8))
                exit(70)
            }
        }
        return try outcome.get()
    }

    /// Rolls back a reshard that failed before its commit point, or finishes one that failed after.
    private static func settleFailedReshard(at path: String, shardCount: Int, durability: Durability) async {
        let rollBack: Result<ReshardReport, ShoalError>
        do throws(ShoalError) {
            rollBack = .success(try await Reshard.run(at: path, shardCount: shardCount, rollBack: true, durability: durability))
        } catch {
            rollBack = .failure(error)
        }
        // Otherwise there was nothing to roll back (the reshard refused before starting), or the reopen says why.
        if case .failure(let error) = rollBack, error.message.contains("commit point") {
            _ = try? await Reshard.run(at: path, shardCount: shardCount, durability: durability)
        }
    }
}
