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
