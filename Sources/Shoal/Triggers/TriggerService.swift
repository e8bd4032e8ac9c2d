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
    /// What each shard loop (and each lane of one) is doing (see ``settle(version:clock:timeout:)``).
    let loops = Mutex<[UUID: LoopWait]>([:])

    enum LoopWait {
        case working
        /// Waiting for a commit after version `seen` (the version it saw before its last pass).
        case stream(seen: UInt64)
        /// Waiting until the clock reaches `until` (a retry's back-off).
        case clock(until: Date)
        /// Waiting for its lanes (each tracked on its own).
        case lanes
    }

    func loop(_ id: UUID, _ wait: LoopWait?) { loops.withLock { $0[id] = wait } }

    /// Waits (at most `timeout` of real time) until every shard loop has made a pass that began
    /// at or after commit version `version` and waits again, or waits for a clock time still to
    /// come: what a clock change made due (then signalled as `version`) has been delivered.
    func settle(version: UInt64, clock: ShoalClock, timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let now = clock.now
            let settled = loops.withLock { loops in
                loops.values.allSatisfy { wait in
                    switch wait {
                    case .working: false
                    case .stream(let seen): seen >= version
                    case .clock(let until): until > now
                    case .lanes: true
                    }
                }
            }
            if settled { return }
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
