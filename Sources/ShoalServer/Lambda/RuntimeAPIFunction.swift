import Foundation
import Shoal
import Synchronization

/// A function served through the Lambda Runtime API: Shoal plays the Lambda service and an
/// unchanged handler runs under AWS's runtime interface client, polling this function's own
/// loopback port (``RuntimeAPIServer``). Each invocation waits for a client to take it, then has
/// `timeout` to be answered.
public final class RuntimeAPIFunction: TriggerFunction, Sendable {
    public let name: String
    public let timeout: Duration
    let region: String

    /// One invocation, from queued to answered.
    struct Invocation: Sendable {
        let id: String
        let event: [UInt8]
        let functionArn: String
        let continuation: CheckedContinuation<TriggerResponse, any Error>
    }

    /// The most clients that may wait in `next` at once; more are answered 429 at once.
    static let maxPollers = 64

    /// What a `next` call ends with.
    enum PollOutcome: Sendable {
        case handout(Handout)
        /// The waiting request was cancelled (its client left, or the server stops).
        case cancelled
        case tooManyPollers
    }

    /// What `next` hands a runtime client.
    struct Handout: Sendable {
        let id: String
        let event: [UInt8]
        let functionArn: String
        let deadlineMillis: Int64
    }

    private struct State {
        var queued: [Invocation] = []
        var inFlight: [String: Invocation] = [:]
        var pollers: [(id: Int, continuation: CheckedContinuation<PollOutcome, Never>)] = []
        var nextPoller = 0
        var lastInitError: String?
        /// The deadline timers of invocations in flight, cancelled when they are answered.
        var deadlines: [String: Task<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init(name: String, timeout: Duration, region: String) {
        self.name = name
        self.timeout = timeout
        self.region = region
    }

    /// How many clients wait in `next` now.
    var waitingPollers: Int { state.withLock { $0.pollers.count } }

    /// The error of the last `init/error` a runtime client reported, if any.
    public var lastInitError: String? { state.withLock { $0.lastInitError } }

    public func invoke(_ batch: TriggerBatch) async throws -> TriggerResponse {
        let id = batch.requestID
        let event = LambdaEvent.bytes(batch, region: region)
        let waitLimit = timeout
        let queuedTimer = Task { [weak self] in
            // Nobody took the invocation in time: the function could not be invoked (Lambda retries
            // such batches without counting them against MaximumRetryAttempts).
            try? await Task.sleep(for: waitLimit)
            guard !Task.isCancelled else { return }
            guard let self else { return }
            let reason = self.lastInitError.map { "; its runtime reported an init error: \($0)" } ?? " (is it polling AWS_LAMBDA_RUNTIME_API?)"
            self.fail(queued: id, FunctionUnavailable("No Lambda runtime client took the invocation of \(batch.functionName) within \(waitLimit)\(reason)"))
        }
        defer { queuedTimer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TriggerResponse, any Error>) in
                let invocation = Invocation(id: id, event: event, functionArn: batch.functionArn, continuation: continuation)
                let poller = state.withLock { state -> (CheckedContinuation<PollOutcome, Never>, Handout)? in
                    guard !state.pollers.isEmpty else {
                        state.queued.append(invocation)
                        return nil
                    }
                    let poller = state.pollers.removeFirst().continuation
                    return (poller, handOut(invocation, &state))
                }
                if let (poller, handout) = poller {
                    queuedTimer.cancel()
                    poller.resume(returning: .handout(handout))
                }
            }
        } onCancel: {
            fail(any: id, CancellationError())
        }
    }

    /// Marks an invocation in flight and starts its deadline.
    private func handOut(_ invocation: Invocation, _ state: inout State) -> Handout {
        state.inFlight[invocation.id] = invocation
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + Int64(timeout.components.seconds * 1000)
            + Int64(timeout.components.attoseconds / 1_000_000_000_000_000)
        let limit = timeout
        let id = invocation.id
        state.deadlines[id] = Task { [weak self] in
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            self?.complete(id, .failure(FunctionError(String(format: "Task timed out after %.2f seconds", seconds), type: "Sandbox.Timedout")))
        }
        return Handout(id: invocation.id, event: invocation.event, functionArn: invocation.functionArn, deadlineMillis: deadline)
    }

    // MARK: The runtime interface

    /// `GET /runtime/invocation/next`: the next invocation, waiting for one; ``PollOutcome/cancelled``
    /// when the waiting request was cancelled, and at once ``PollOutcome/tooManyPollers`` past
    /// ``maxPollers`` waiting clients.
    func next() async -> PollOutcome {
        let pollerID = state.withLock { state -> Int in
            state.nextPoller += 1
            return state.nextPoller
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<PollOutcome, Never>) in
                // Decided under one lock: answer now (an invocation, a refusal, or cancelled), or wait.
                let answer = state.withLock { state -> PollOutcome? in
                    if Task.isCancelled { return .cancelled }
                    guard !state.queued.isEmpty else {
                        guard state.pollers.count < RuntimeAPIFunction.maxPollers else { return .tooManyPollers }
                        state.pollers.append((pollerID, continuation))
                        return nil
                    }
                    return .handout(handOut(state.queued.removeFirst(), &state))
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let poller = state.withLock { state -> CheckedContinuation<PollOutcome, Never>? in
                guard let index = state.pollers.firstIndex(where: { $0.id == pollerID }) else { return nil }
                return state.pollers.remove(at: index).continuation
            }
            poller?.resume(returning: .cancelled)
        }
    }

    /// Puts an invocation that was handed out but never reached its client (the connection was
    /// gone) back at the head of the queue: it is not an attempt, so it counts against nothing.
    func requeue(_ id: String) {
        let poller = state.withLock { state -> (CheckedContinuation<PollOutcome, Never>, Handout)? in
            guard let invocation = state.inFlight.removeValue(forKey: id) else { return nil }
            state.deadlines.removeValue(forKey: id)?.cancel()
            guard !state.pollers.isEmpty else {
                state.queued.insert(invocation, at: 0)
                return nil
            }
            return (state.pollers.removeFirst().continuation, handOut(invocation, &state))
        }
        guard let (continuation, handout) = poller else {
            // Back in the queue, it waits for a client as long as a new invocation would.
            let limit = timeout
            Task { [weak self] in
                try? await Task.sleep(for: limit)
                self?.fail(queued: id, FunctionUnavailable("No Lambda runtime client took the invocation of \(self?.name ?? "") within \(limit) after its client left"))
            }
            return
        }
        continuation.resume(returning: .handout(handout))
    }

    /// Answers every waiting `next` with nothing (the server is stopping).
    func releasePollers() {
        let pollers = state.withLock { state in
            defer { state.pollers.removeAll() }
            return state.pollers.map(\.continuation)
        }
        for poller in pollers { poller.resume(returning: .cancelled) }
    }

    /// `POST /runtime/invocation/{id}/response`. False for an id not in flight.
    func respond(_ id: String, body: [UInt8]) -> Bool {
        complete(id, .success(TriggerResponse(lambdaResponse: Data(body))))
    }

    /// `POST /runtime/invocation/{id}/error`: the handler failed (`errorMessage`, `errorType`).
    func error(_ id: String, body: [UInt8]) -> Bool {
        complete(id, .failure(RuntimeAPIFunction.functionError(body)))
    }

    /// `POST /runtime/init/error`: the runtime could not start; what is in flight fails.
    func initError(body: [UInt8]) {
        let error = RuntimeAPIFunction.functionError(body)
        let failed = state.withLock { state -> [Invocation] in
            state.lastInitError = error.message
            for timer in state.deadlines.values { timer.cancel() }
            defer { state.inFlight.removeAll(); state.deadlines.removeAll() }
            return Array(state.inFlight.values)
        }
        for invocation in failed { invocation.continuation.resume(throwing: error) }
    }

    static func functionError(_ body: [UInt8]) -> FunctionError {
        if let parsed = try? JSONParser.parse(body), case .object = parsed {
            var message = "Unhandled"
            if case .string(let text)? = parsed["errorMessage"] { message = text }
            var type = "Unhandled"
            if case .string(let text)? = parsed["errorType"] { type = text }
            return FunctionError(message, type: type)
        }
        return FunctionError(String(decoding: body.prefix(1024), as: UTF8.self))
    }

    @discardableResult
    private func complete(_ id: String, _ result: Result<TriggerResponse, any Error>) -> Bool {
        let found = state.withLock { state in
            (state.inFlight.removeValue(forKey: id), state.deadlines.removeValue(forKey: id))
        }
        found.1?.cancel()
        guard let invocation = found.0 else { return false }
        invocation.continuation.resume(with: result)
        return true
    }

    private func fail(queued id: String, _ error: any Error) {
        let invocation = state.withLock { state -> Invocation? in
            guard let index = state.queued.firstIndex(where: { $0.id == id }) else { return nil }
            return state.queued.remove(at: index)
        }
        invocation?.continuation.resume(throwing: error)
    }

    private func fail(any id: String, _ error: any Error) {
        fail(queued: id, error)
        complete(id, .failure(error))
    }
}
