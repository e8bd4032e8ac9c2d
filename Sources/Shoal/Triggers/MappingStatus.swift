import Foundation
import Synchronization

/// What a running mapping reports: Lambda's `LastProcessingResult`, the last error, and how far it
/// got per shard (kept in memory; the durable position is the catalog's checkpoint).
final class MappingStatus: Sendable {
    struct Value: Sendable {
        var lastProcessingResult = "No records processed"
        var lastError: String?
        /// When the last error was reported (the computer's time: it is shown, never acted on).
        var lastErrorTime: Date?
        var invocations = 0
        /// Records handed to the function, retries included.
        var recordsSent = 0
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
            $0.lastErrorTime = Date()
            $0.invocations += 1
        }
    }

    func problem(_ error: String) {
        value.withLock {
            $0.lastError = error
            $0.lastErrorTime = Date()
        }
    }

    func sent(_ records: Int) {
        value.withLock { $0.recordsSent += records }
    }
}
