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

    func status(_ uuid: String) -> MappingStatus {
        statuses.withLock { statuses in
            if let status = statuses[uuid] { return status }
            let status = MappingStatus()
            statuses[uuid] = status
            return status
        }
    }
}
