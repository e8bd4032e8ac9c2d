/// The rules of leasing one open database to requests while an exclusive operation (an online
/// reshard) may take it away, as a value: each event returns what the caller must do (resume whom),
/// so every transition is testable without threads. `Waiter` is whatever the caller resumes later
/// (a continuation; a number in tests).
struct LeaseGate<Waiter> {
    private(set) var leases = 0
    private(set) var exclusive = false
    /// Requests waiting for the exclusive operation to end.
    private(set) var waiting: [Waiter] = []
    /// The exclusive operation waiting for the leases out to come back.
    private var drain: Waiter?

    enum AcquireAction: Equatable {
        /// The lease is taken: run the request.
        case granted
        /// Parked: the waiter is resumed when the exclusive operation ends (then try again).
        case wait
    }

    /// A request asks for a lease without parking: true when it got one.
    mutating func tryAcquire() -> Bool {
        guard !exclusive else { return false }
        leases += 1
        return true
    }

    /// A request asks for a lease.
    mutating func acquire(parking waiter: Waiter) -> AcquireAction {
        if exclusive {
            waiting.append(waiter)
            return .wait
        }
        leases += 1
        return .granted
    }

    enum ReleaseAction {
        case none
        /// The last lease came back while an exclusive operation waits: resume it.
        case resumeExclusive(Waiter)
        /// More releases than leases: a caller's bug, ignored (the count never goes negative).
        case unbalanced
    }

    /// A request gives its lease back.
    mutating func release() -> ReleaseAction {
        guard leases > 0 else { return .unbalanced }
        leases -= 1
        guard leases == 0, exclusive, let drain else { return .none }
        self.drain = nil
        return .resumeExclusive(drain)
    }

    enum BeginAction {
        /// Another exclusive operation holds the gate.
        case refused
        /// No lease is out: the operation runs now.
        case run
        /// Leases are out: park the operation (``parkExclusive(_:)``) until the last comes back.
        case waitForLeases
    }

    /// An exclusive operation asks for the database; new requests wait from now on.
    mutating func beginExclusive() -> BeginAction {
        guard !exclusive else { return .refused }
        exclusive = true
        return leases == 0 ? .run : .waitForLeases
    }

    /// The exclusive operation told to wait parks itself. - Returns: false when the leases came
    /// back in between (run now; `waiter` is not kept).
    mutating func parkExclusive(_ waiter: Waiter) -> Bool {
        guard exclusive, leases > 0 else { return false }
        drain = waiter
        return true
    }

    /// The exclusive operation is over (whether it succeeded or not). - Returns: the requests
    /// to resume, in arrival order.
    mutating func endExclusive() -> [Waiter] {
        guard exclusive else { return [] }
        exclusive = false
        drain = nil
        defer { waiting = [] }
        return waiting
    }
}
