import Foundation
import Synchronization

/// The database's triggers: the registered functions, the running mappings (a runner and a status
/// each) and the settings they share. Mappings and their checkpoints are stored in the catalog;
/// functions are code, registered again after each open. Delivery follows ``BatchDeliveryRules``.
final class TriggerService: Sendable {
    let functions = Mutex<[String: RegisteredFunction]>([:])
    let runners = Mutex<[String: MappingRunner]>([:])
    let statuses = Mutex<[String: MappingStatus]>([:])
    /// Serializes changes to mapping definitions (create, update, delete) and their runners.
    let changes = Mutex(())
    /// Set on close: no runner writes a checkpoint after it.
    let closed = Mutex(false)
    /// Sends an on-failure record to a URL destination (the server installs one).
    let webhookSender = Mutex<(@Sendable (String, Data) async throws -> Void)?>(nil)
    /// First retry delay and its cap (doubling in between).
    let backoff = Mutex<(base: Duration, cap: Duration)>((.milliseconds(500), .seconds(30)))
    /// How often an idle shard loop looks again without a commit waking it.
    let idlePoll = Mutex<Duration>(.seconds(1))
    /// Which shard loops are working and which wait (see ``settle(since:timeout:)``).
    let activity = Mutex<(loops: Int, busy: Int, parks: Int)>((0, 0, 0))

    func loopStarted() { activity.withLock { $0.loops += 1; $0.busy += 1 } }
    func loopEnded() { activity.withLock { $0.loops -= 1; $0.busy -= 1 } }
    /// A lane of a shard loop (its own task) starts or ends working.
    func laneStarted() { activity.withLock { $0.busy += 1 } }
    func laneEnded() { activity.withLock { $0.busy -= 1 } }
    func parking() { activity.withLock { $0.busy -= 1; $0.parks += 1 } }
    func unparked() { activity.withLock { $0.busy += 1 } }

    /// A point to settle from (see ``settle(since:timeout:)``): take it before waking anything.
    var activityMark: Int { activity.withLock { $0.parks } }

    /// Waits (at most `timeout` of real time) until what was made due after `mark` has been
    /// delivered: no shard loop is working and every loop has waited again since `mark`, or none
    /// has worked for 50 ms (a loop whose back-off is not yet due never waits again).
    func settle(since mark: Int, timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        var quietSince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let now = activity.withLock { $0 }
            if now.busy == 0 {
                if now.parks - mark >= now.loops { return }
                let since = quietSince ?? .now
                quietSince = since
                if ContinuousClock.now - since >= .milliseconds(50) { return }
            } else {
                quietSince = nil
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    func status(_ uuid: String) -> MappingStatus {
        statuses.withLock { statuses in
            if let status = statuses[uuid] { return status }
            let status = MappingStatus()
            statuses[uuid] = status
            return status
        }
    }
}
