/// Lambda's rules for delivering one batch of stream records, as a value: which records to send,
/// when to back off, when to split the batch in two, and when to give records up, decided from
/// what each invocation returned. ``DeliveryContext/deliver(_:window:)`` only executes the actions
/// (invoke the function, sleep, write the on-failure record, update the mapping's status), so
/// every rule is tested without a function, a clock or a stream (`BatchDeliveryRulesTests`).
struct BatchDeliveryRules {
    /// What the mapping says about retries.
    struct Settings: Equatable {
        /// -1: retry until the records expire.
        var maximumRetryAttempts: Int
        var bisectBatchOnFunctionError: Bool
    }

    /// One invocation's result as the rules see it.
    enum InvocationResult: Equatable {
        /// The window state the function returned (nil outside a tumbling window).
        case success(state: String?)
        /// The records from this index on failed (ReportBatchItemFailures).
        case partial(from: Int, state: String?)
        case functionError(String)
        /// The function could not be called (not registered, no runtime client polling): retried
        /// without using up the retry attempts.
        case unavailable(String)
    }

    /// A change of the mapping's status.
    enum StatusChange: Equatable {
        case succeeded
        case failed(result: String, error: String)
        case problem(String)
    }

    enum Action: Equatable {
        /// Give these records up: write them to the on-failure destination (if any).
        case discard([StreamRecord], condition: String, invocations: Int, functionError: String?, reason: String?)
        /// Invoke the function with these records (and this window), then report ``invoked(_:)``.
        case invoke([StreamRecord], window: TumblingWindow?)
        /// Sleep before retry `retries + 1` (base × 2^retries, capped).
        case backoff(retries: Int)
        case status(StatusChange)
        /// The batch is done; the window state to keep.
        case done(state: String?)
    }

    /// A part of the batch still to deliver, in stream order.
    private struct Piece {
        var records: ArraySlice<StreamRecord>
        var retries: Int
        var invocations: Int
    }

    let window: TumblingWindow?
    let settings: Settings
    private var pending: [Piece]
    /// Actions decided and not yet handed out, in order.
    private var queued: [Action] = []
    /// The piece whose invocation's result is awaited.
    private var inFlight: Piece?
    /// The window's state so far.
    private(set) var state: String?
    private var unavailableRounds = 0

    init(batch: [StreamRecord], window: TumblingWindow?, settings: Settings) {
        self.window = window
        self.settings = settings
        pending = [Piece(records: batch[...], retries: 0, invocations: 0)]
        state = window?.state
    }

    /// The next thing to do; `isExpired` tells the records older than the mapping allows. After an
    /// `invoke`, report its result with ``invoked(_:)`` before asking again.
    mutating func next(isExpired: (StreamRecord) -> Bool) -> Action {
        if !queued.isEmpty { return queued.removeFirst() }
        assert(inFlight == nil, "the result of an invocation is awaited")
        while !pending.isEmpty {
            var piece = pending.removeFirst()
            let expired = piece.records.prefix(while: isExpired)
            if !expired.isEmpty {
                queued.append(.discard(Array(expired), condition: "RecordAgeExceeded", invocations: piece.invocations,
                                       functionError: nil, reason: nil))
                piece.records = piece.records.dropFirst(expired.count)
            }
            // A tumbling window's final invocation carries no records; otherwise nothing is left to send.
            guard !piece.records.isEmpty || window?.isFinalInvokeForWindow == true else {
                if !queued.isEmpty { return queued.removeFirst() }
                continue
            }
            var current = window
            current?.state = state ?? "{}"
            inFlight = piece
            queued.append(.invoke(Array(piece.records), window: current))
            return queued.removeFirst()
        }
        return .done(state: state)
    }

    /// What the invocation ``next(isExpired:)`` asked for came to.
    mutating func invoked(_ result: InvocationResult) {
        guard let piece = inFlight.take() else { return }
        let records = piece.records
        switch result {
        case .success(let returned):
            queued.append(.status(.succeeded))
            if window != nil { state = returned }
            unavailableRounds = 0
        case .partial(let index, let returned):
            let from = min(max(index, 0), records.count - 1)
            let message = "The function reported \(records.count - from) failed records from sequence number \(records[records.startIndex + from].sequenceNumber)"
            queued.append(.status(.failed(result: "OK", error: message)))
            if window != nil { state = returned }
            retryOrGiveUp(records.dropFirst(from), after: piece, mayGiveUp: true, reason: message)
        case .functionError(let message):
            queued.append(.status(.failed(result: "PROBLEM: Function call failed", error: message)))
            if settings.bisectBatchOnFunctionError && records.count > 1 && window == nil {
                // Split in two, each half retried at once without using up an attempt.
                let middle = records.startIndex + records.count / 2
                pending.insert(contentsOf: [Piece(records: records[..<middle], retries: piece.retries, invocations: piece.invocations + 1),
                                            Piece(records: records[middle...], retries: piece.retries, invocations: piece.invocations + 1)], at: 0)
            } else {
                // A tumbling window's final invocation is never given up.
                retryOrGiveUp(records, after: piece, mayGiveUp: window?.isFinalInvokeForWindow != true, reason: message)
            }
        case .unavailable(let message):
            queued.append(.status(.problem(message)))
            queued.append(.backoff(retries: min(unavailableRounds, 6)))
            unavailableRounds += 1
            pending.insert(piece, at: 0)
        }
    }

    /// After a failed invocation of `piece`: `records` are given up when their retries are used up
    /// (and `mayGiveUp`), else retried after a backoff.
    private mutating func retryOrGiveUp(_ records: ArraySlice<StreamRecord>, after piece: Piece, mayGiveUp: Bool, reason: String) {
        let exhausted = settings.maximumRetryAttempts >= 0 && piece.retries >= settings.maximumRetryAttempts
        if mayGiveUp && exhausted {
            queued.append(.discard(Array(records), condition: "RetryAttemptsExhausted", invocations: piece.invocations + 1,
                                   functionError: "Unhandled", reason: reason))
        } else {
            queued.append(.backoff(retries: piece.retries))
            pending.insert(Piece(records: records, retries: piece.retries + 1, invocations: piece.invocations + 1), at: 0)
        }
    }
}
