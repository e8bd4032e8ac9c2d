import Foundation
import Logging
import Synchronization

/// A failure of background work, as ``Database/backgroundFailures`` lists it.
public struct BackgroundFailure: Sendable, Equatable {
    /// What was running, e.g. `index backfill Orders/byCustomer`.
    public var job: String
    public var message: String
    public var time: Date
}

/// The database's background work (restores, index and expiry backfills, table backups): each
/// job is a task the database owns. A job that fails for a reason other than the database closing
/// or its subject going away (a deleted table) is logged at error level, kept in
/// ``Database/backgroundFailures``, and, when it is safe to repeat, run again after a growing
/// pause (1 s doubling to a minute). A job that can fail for good (a restore from a damaged
/// backup) gives up after its attempts or at a ``PermanentFailure`` and runs its give-up step, so
/// nothing waits on it forever. Periodic work (stream retention, the time to live expirer) runs as
/// loops it owns too. ``Database/shutdown()`` cancels and awaits every job and loop.
final class BackgroundJobs: Sendable {
    private struct State {
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Periodic work, until the database closes (not counted in ``running``).
        var loops: [Int: Task<Void, Never>] = [:]
        var next = 0
        var failures: [BackgroundFailure] = []
        var closing = false
    }

    /// An error that running the job again cannot fix: the job gives up at once.
    struct PermanentFailure: Error, CustomStringConvertible {
        let underlying: any Error
        var description: String { "\(underlying)" }
    }

    private let state = Mutex(State())
    let logger: Logger
    /// The pause before the first retry (doubling, at most a minute).
    private let firstPause: Duration
    /// The most failures kept (oldest dropped first).
    static let keptFailures = 100

    init(logger: Logger, firstPause: Duration = .seconds(1)) {
        self.logger = logger
        self.firstPause = firstPause
    }

    var failures: [BackgroundFailure] { state.withLock { $0.failures } }

    var running: Int { state.withLock { $0.tasks.count } }

    /// Runs `work` as a job named `name`. With `retrying`, a failed run is repeated (the work must
    /// be safe to repeat) until it succeeds, the database closes, `maxAttempts` runs have failed
    /// or one fails with a ``PermanentFailure``; then `onGiveUp` runs with the last error.
    func start(_ name: String, retrying: Bool, maxAttempts: Int = .max,
               onGiveUp: (@Sendable (any Error) async -> Void)? = nil, _ work: @escaping @Sendable () async throws -> Void) {
        state.withLock { state in
            guard !state.closing else { return }
            let id = state.next
            state.next += 1
            state.tasks[id] = Task.detached { [self] in
                var pause = firstPause
                var failed = 0
                while !Task.isCancelled {
                    do {
                        try await work()
                        break
                    } catch {
                        failed += 1
                        guard report(name, error) else { break }
                        guard retrying, failed < maxAttempts, !(error is PermanentFailure) else {
                            await onGiveUp?(error)
                            break
                        }
                        try? await Task.sleep(for: pause)
                        pause = min(pause * 2, .seconds(60))
                    }
                }
                _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// Runs `body` every `interval` until the database closes (its failures it reports itself).
    func startLoop(_ name: String, every interval: Duration, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard !state.closing else { return }
            let id = state.next
            state.next += 1
            state.loops[id] = Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard !Task.isCancelled else { return }
                    await body()
                }
            }
        }
    }

    /// Logs and keeps a failure that means something. - Returns: false when it was expected.
    @discardableResult
    func report(_ job: String, _ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let shoal = error as? ShoalError, shoal.kind == .resourceNotFound { return false }
        let expected = state.withLock { state -> Bool in
            guard !state.closing else { return true }
            state.failures.append(BackgroundFailure(job: job, message: "\(error)", time: Date()))
            if state.failures.count > BackgroundJobs.keptFailures { state.failures.removeFirst() }
            return false
        }
        if expected { return false }
        logger.error("background job failed: \(job): \(error)")
        return true
    }

    /// Stops new jobs and cancels the running ones and the loops. - Returns: their tasks, to await.
    func cancelAll() -> [Task<Void, Never>] {
        let tasks = state.withLock { state in
            state.closing = true
            return Array(state.tasks.values) + Array(state.loops.values)
        }
        for task in tasks { task.cancel() }
        return tasks
    }
}
