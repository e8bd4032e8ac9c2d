import Foundation
import Synchronization

/// The function could not be called at all (not registered, no runtime client polling): Lambda
/// retries such batches without using up `MaximumRetryAttempts`.
public struct FunctionUnavailable: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Everything one shard loop of a mapping needs.
struct DeliveryContext: Sendable {
    let database: Database
    let definition: MappingDefinition
    let stream: StreamHandle
    let streamArn: String
    let functionArn: String
    let filter: EventFilter
    let status: MappingStatus
    /// The stream shard followed; its ordinal keys the checkpoint.
    let shard: StreamShardRef
    var shardId: String { shard.shardID }
    /// This loop's (or lane's) entry in the trigger service's activity (see ``TriggerService/settle(version:clock:timeout:)``).
    var loopID = UUID()

    var triggers: TriggerService { database.triggerService }
}

/// How a batch ended.
enum DeliveryResult: Sendable {
    /// Processed (or discarded to the on-failure destination); carries the window state returned last.
    case done(state: String?)
    /// The mapping is stopping: nothing may be checkpointed.
    case cancelled
}

extension DeliveryContext {
    /// Delivers one batch by Lambda's rules (``BatchDeliveryRules``): retries with exponential
    /// backoff, bisection on function errors, partial batch failures, record age and retry limits,
    /// and the on-failure destination for what is given up. Returns once the batch is done or the
    /// mapping stops.
    func deliver(_ batch: [StreamRecord], window: TumblingWindow? = nil) async -> DeliveryResult {
        var rules = BatchDeliveryRules(batch: batch, window: window,
                                       settings: .init(maximumRetryAttempts: definition.maximumRetryAttempts,
                                                       bisectBatchOnFunctionError: definition.bisectBatchOnFunctionError))
        while true {
            switch rules.next(isExpired: isExpired) {
            case let .discard(records, condition, invocations, functionError, reason):
                if Task.isCancelled { return .cancelled }
                await sendFailure(records, condition: condition, invocations: invocations, functionError: functionError, reason: reason)
            case let .invoke(records, current):
                if Task.isCancelled { return .cancelled }
                status.sent(records.count)
                rules.invoked(await invoke(records, window: current))
            case .backoff(let retries):
                guard await backoff(retries) else { return .cancelled }
            case .status(.succeeded):
                status.succeeded()
            case let .status(.failed(result, error)):
                status.failed(result, error: error)
            case .status(.problem(let message)):
                status.problem(message)
            case .done(let state):
                return .done(state: state)
            }
        }
    }

    /// Older than `MaximumRecordAgeInSeconds` (or, with -1, than the stream's retention).
    private func isExpired(_ record: StreamRecord) -> Bool {
        let retention = database.options.streamRetention
        let limit = definition.maximumRecordAgeInSeconds >= 0 ? Double(definition.maximumRecordAgeInSeconds)
            : Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
        return database.options.clock.now.timeIntervalSince(record.committedAt) > limit
    }

    /// Sleeps before retry `retries + 1`: base × 2^retries, capped. False when the mapping stops.
    private func backoff(_ retries: Int) async -> Bool {
        let (base, cap) = triggers.backoff.withLock { $0 }
        let delay = min(base * (1 << min(retries, 20)), cap)
        // Waiting for the clock is waiting: a manual clock's advance may settle meanwhile.
        let clock = database.options.clock
        triggers.loop(loopID, .clock(until: clock.now.addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)))
        defer { triggers.loop(loopID, .working) }
        do { try await clock.sleep(for: delay) } catch { return false }
        return !Task.isCancelled
    }

    private func invoke(_ records: [StreamRecord], window: TumblingWindow?) async -> BatchDeliveryRules.InvocationResult {
        guard let registered = triggers.functions.withLock({ $0[definition.functionName] }) else {
            return .unavailable("Function not found: \(functionArn)")
        }
        let batch = TriggerBatch(records: records, functionName: definition.functionName, functionArn: functionArn,
                                 eventSourceArn: streamArn, shardId: shardId, window: window,
                                 deadline: Date().addingTimeInterval(Double(registered.timeout.components.seconds)),
                                 requestID: UUID().uuidString.lowercased())
        let response: TriggerResponse
        do {
            response = try await DeliveryContext.call(registered, batch)
        } catch let error as FunctionUnavailable {
            return .unavailable(error.message)
        } catch let error as FunctionError {
            return .functionError(error.message)
        } catch is CancellationError {
            return .unavailable("The mapping stopped during the invocation")
        } catch {
            return .functionError("\(error)")
        }
        if let malformed = response.malformed { return .functionError(malformed) }
        if window != nil && response.state == nil {
            return .functionError("The function's response has no state (a tumbling window needs one)")
        }
        guard definition.reportsItemFailures, let failures = response.batchItemFailures, !failures.isEmpty else {
            return .success(state: response.state)
        }
        // The lowest failed sequence number is where processing resumes; one that is not in the
        // batch fails the batch as a whole.
        var lowest: Int?
        for identifier in failures {
            guard let index = records.firstIndex(where: { $0.sequenceNumber == identifier }) else {
                return .functionError("The batch item failure \(identifier) is not a sequence number of the batch")
            }
            lowest = min(lowest ?? index, index)
        }
        return .partial(from: lowest ?? 0, state: response.state)
    }

    /// Calls the function; an in-process closure is held to its timeout here (webhooks and the
    /// Runtime API keep their own deadlines).
    private static func call(_ registered: RegisteredFunction, _ batch: TriggerBatch) async throws -> TriggerResponse {
        guard registered.function is ClosureFunction else { return try await registered.function.invoke(batch) }
        let timeout = registered.timeout
        let race = InvocationRace()
        defer { race.cancelTasks() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TriggerResponse, any Error>) in
                race.begin(continuation)
                race.add(work: Task {
                    let result: Result<TriggerResponse, any Error>
                    do { result = .success(try await registered.function.invoke(batch)) } catch { result = .failure(error) }
                    race.finish(result)
                })
                race.add(timer: Task {
                    try? await Task.sleep(for: timeout)
                    let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                    race.finish(.failure(FunctionError(String(format: "Task timed out after %.2f seconds", seconds), type: "Sandbox.Timedout")))
                })
            }
        } onCancel: {
            // The mapping is stopping: the closure is asked to stop and still waited for (up to its
            // timeout), so a stopped runner never leaves an invocation running beside its successor.
            race.cancelWork()
        }
    }

    /// Records what was given up at the on-failure destination (if any) and in the status.
    func sendFailure(_ records: [StreamRecord], condition: String, invocations: Int, functionError: String?, reason: String? = nil) async {
        guard !records.isEmpty else { return }
        status.problem("\(records.count) records discarded (\(condition)) from sequence number \(records[0].sequenceNumber)" + (reason.map { ": \($0)" } ?? ""))
        guard let text = definition.onFailureDestination, let destination = try? FailureDestination(text) else { return }
        let record = FailureRecord(records: records, condition: condition, invokeCount: invocations, functionArn: functionArn,
                                   shardId: shardId, streamArn: streamArn, functionError: functionError, now: database.options.clock.now)
        do {
            switch destination {
            case .table(let name):
                guard let table = database.lookup(name) else { throw ShoalError.tableNotFound(name) }
                _ = try await database.putItem(PutItemRequest(tableName: name, item: record.item(for: table.key, now: database.options.clock.now)))
            case .url(let url):
                guard let sender = triggers.webhookSender.withLock({ $0 }) else {
                    throw ShoalError.internalError("No HTTP client for on-failure URL destinations in this process")
                }
                try await sender(url, record.json)
            }
        } catch {
            status.problem("The on-failure destination \(DestinationURL.redacted(text)) did not take the record: \(error)")
        }
    }
}

/// An invocation against its timeout: whichever finishes first resumes the caller, once.
private final class InvocationRace: Sendable {
    private struct State {
        var continuation: CheckedContinuation<TriggerResponse, any Error>?
        /// A result that came before the continuation existed (a cancellation).
        var early: Result<TriggerResponse, any Error>?
        var done = false
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var workCancelled = false
    }

    private let state = Mutex(State())

    func begin(_ c: CheckedContinuation<TriggerResponse, any Error>) {
        let early = state.withLock { state -> Result<TriggerResponse, any Error>? in
            if let early = state.early { return early }
            state.continuation = c
            return nil
        }
        if let early { c.resume(with: early) }
    }

    func add(work task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.work = task
            return state.workCancelled
        }
        if cancelled { task.cancel() }
    }

    func add(timer task: Task<Void, Never>) { state.withLock { $0.timer = task } }

    func cancelWork() {
        let work = state.withLock { state in
            state.workCancelled = true
            return state.work
        }
        work?.cancel()
    }

    func finish(_ result: Result<TriggerResponse, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<TriggerResponse, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            if state.continuation == nil { state.early = result }
            return state.continuation.take()
        }
        waiting?.resume(with: result)
    }

    func cancelTasks() {
        let (work, timer) = state.withLock { ($0.work, $0.timer) }
        work?.cancel()
        timer?.cancel()
    }
}
