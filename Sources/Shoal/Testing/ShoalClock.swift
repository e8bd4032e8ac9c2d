import Foundation
import Synchronization

/// The time Shoal reads: everything that depends on time (TTL expiry, stream retention and
/// iterator expiry, `ApproximateCreationDateTime`, record age, batching and tumbling windows,
/// retries' back-off, idempotency windows, backup and point-in-time recovery times) asks this
/// clock. `system` follows the computer's clock; `manual` stands still until a test sets or
/// advances it (``Database/advanceClock(by:)``), so hours of TTL or retention pass in a call.
public final class ShoalClock: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case system
        case manual
    }

    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UUID: Sleeper] = [:]
    }

    public let mode: Mode
    private let state: Mutex<State>

    /// - Parameter start: where a manual clock starts (default: the system's time now).
    public init(_ mode: Mode = .system, start: Date = Date()) {
        self.mode = mode
        state = Mutex(State(now: start))
    }

    /// The time now.
    public var now: Date {
        mode == .system ? Date() : state.withLock { $0.now }
    }

    /// Sets a manual clock (it may go back; records already written keep their times).
    public func set(_ date: Date) throws(ShoalError) {
        guard mode == .manual else { throw .validation("The clock is the system's: start with --clock manual to set it") }
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = date
            let due = state.sleepers.filter { $0.value.deadline <= date }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Moves a manual clock forward by `seconds` (at least 0).
    public func advance(by seconds: Double) throws(ShoalError) {
        guard seconds >= 0, seconds.isFinite else { throw .validation("Seconds must be a number of seconds of at least 0") }
        guard mode == .manual else { throw .validation("The clock is the system's: start with --clock manual to advance it") }
        try set(now.addingTimeInterval(seconds))
    }

    /// Waits `duration` of this clock's time: real time for the system clock; for a manual one,
    /// until it is set or advanced past the deadline. Throws `CancellationError` when cancelled.
    public func sleep(for duration: Duration) async throws {
        guard mode == .manual else { return try await Task.sleep(for: duration) }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    let deadline = state.now.addingTimeInterval(seconds)
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Seconds since 1970 in milliseconds.
    public var epochMillis: Int64 { Int64((now.timeIntervalSince1970 * 1000).rounded(.down)) }
}
