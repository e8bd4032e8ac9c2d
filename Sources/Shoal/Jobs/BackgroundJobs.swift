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
/// pause (1 s doubling to a minute). ``Database/shutdown()`` cancels and awaits every job.
final class BackgroundJobs: Sendable {
    private struct State {
        var tasks: [Int: Task<Void, Never>] = [:]
        var next = 0
        var failures: [BackgroundFailure] = []
        var closing = false
    }

    private let state = Mutex(State())
    let logger: Logger
    /// The most failures kept (oldest dropped first).
    static let keptFailures = 100

    init(logger: Logger) { self.logger = logger }

    var failures: [BackgroundFailure] { state.withLock { $0.failures } }

    var running: Int { state.withLock { $0.tasks.count } }

    /// Runs `work` as a job named `name`. With `retrying`, a failed run is repeated until it
    /// succeeds or the database closes (the work must be safe to repeat).
    func start(_ name: String, retrying: Bool, _ work: @escaping @Sendable () async throws -> Void) {
        state.withLock { state in
            guard !state.closing else { return }
            let id = state.next
            state.next += 1
            state.tasks[id] = Task.detached { [self] in
                var pause = Duration.seconds(1)
                while !Task.isCancelled {
                    do {
                        try await work()
                        break
                    } catch {
                        guard report(name, error) && retrying else { break }
                        try? await Task.sleep(for: pause)
                        pause = min(pause * 2, .seconds(60))
                    }
                }
                _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
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

    /// Stops new jobs and cancels the running ones. - Returns: their tasks, to await.
    func cancelAll() -> [Task<Void, Never>] {
        let tasks = state.withLock { state in
            state.closing = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        return tasks
    }
}
