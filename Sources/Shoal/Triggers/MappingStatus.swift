import Foundation
import Synchronization

/// What a running mapping reports: Lambda's `LastProcessingResult`, the last error, and how far it
/// got per shard (kept in memory; the durable position is the catalog's checkpoint).
final class MappingStatus: Sendable {
    struct Value: Sendable {
        var lastProcessingResult = "No records processed"
        var lastError: String?
        var invocations = 0
    }

    private let value = Mutex(Value())

    var snapshot: Value { value.withLock { $0 } }

    func succeeded() {
        value.withLock {
            $0.lastProcessingResult = "OK"
            $0.invocations += 1
        }
    }

    func failed(_ result: String, error: String) {
        value.withLock {
            $0.lastProcessingResult = result
            $0.lastError = error
            $0.invocations += 1
        }
    }

    func problem(_ error: String) {
        value.withLock { $0.lastError = error }
    }
}

/// The registry of functions and running mappings of one database.
final class TriggerState: Sendable {
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
