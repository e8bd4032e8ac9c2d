import Foundation

/// A tumbling window's part of an invocation (Lambda's `window`, `state`, `isFinalInvokeForWindow`).
public struct TumblingWindow: Sendable, Equatable {
    /// Lambda's limit on a window's state (per shard): past it the window ends early.
    public static let maxStateBytes = 1 << 20

    public var start: Date
    public var end: Date
    /// The state the function returned for this window so far, as a JSON object (`{}` at first).
    public var state: String
    /// The last invocation of the window: no records, the aggregate is final.
    public var isFinalInvokeForWindow: Bool
    /// The window ended early (its state grew past 1 MB, or its shard closed in a reshard); the next
    /// invocation starts afresh.
    public var isWindowTerminatedEarly: Bool
}

/// What a function receives: one batch of stream records, in order, from one stream shard.
public struct TriggerBatch: Sendable {
    public var records: [StreamRecord]
    public var functionName: String
    public var functionArn: String
    /// The stream's ARN (each record's `eventSourceARN`).
    public var eventSourceArn: String
    public var shardId: String
    /// Present when the mapping has a tumbling window.
    public var window: TumblingWindow?
    /// When the invocation times out.
    public var deadline: Date
    /// Unique per invocation (Lambda's request id).
    public var requestID: String
}

/// A function's successful answer: Lambda's `StreamsEventResponse` (and `TimeWindowEventResponse`).
public struct TriggerResponse: Sendable, Equatable {
    /// Sequence numbers of the records that failed (`ReportBatchItemFailures`); nil or empty: all
    /// succeeded.
    public var batchItemFailures: [String]?
    /// The window's new state, a JSON object (tumbling windows: required).
    public var state: String?
    /// Set when the answer could not be read as Lambda's (the whole batch counts as failed).
    var malformed: String?

    public init(batchItemFailures: [String]? = nil, state: String? = nil) {
        self.batchItemFailures = batchItemFailures
        self.state = state
    }

    public static let success = TriggerResponse()

    /// Reads a function's JSON answer as Lambda does: an empty or `null` answer, or one without
    /// `batchItemFailures`, is success; an item identifier that is missing, empty or not a string
    /// makes the answer malformed (the batch fails as a whole).
    public init(lambdaResponse body: Data) {
        self.init()
        guard !body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }),
              let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]),
              let members = object as? [String: Any] else { return }
        if let state = members["state"], !(state is NSNull) {
            if JSONSerialization.isValidJSONObject(state), let data = try? JSONSerialization.data(withJSONObject: state, options: [.sortedKeys]) {
                self.state = String(decoding: data, as: UTF8.self)
            } else {
                malformed = "The function's state is not a JSON object"
            }
        }
        guard let failures = members["batchItemFailures"], !(failures is NSNull) else { return }
        guard let list = failures as? [Any] else {
            malformed = "batchItemFailures is not a list"
            return
        }
        var identifiers: [String] = []
        for entry in list {
            guard let entry = entry as? [String: Any], let identifier = entry["itemIdentifier"] as? String, !identifier.isEmpty else {
                malformed = "A batch item failure has no itemIdentifier"
                return
            }
            identifiers.append(identifier)
        }
        batchItemFailures = identifiers
    }
}

/// Something a trigger calls: a Swift closure, a webhook, or a function behind the Lambda Runtime
/// API. Throwing is a function error (the batch failed as a whole).
public protocol TriggerFunction: Sendable {
    func invoke(_ batch: TriggerBatch) async throws -> TriggerResponse
}

/// An in-process function: an `async` closure.
///
/// ```swift
/// db.registerFunction("audit") { batch in
///     for record in batch.records { print(record.eventName, record.keys) }
///     return .success
/// }
/// ```
public struct ClosureFunction: TriggerFunction {
    let body: @Sendable (TriggerBatch) async throws -> TriggerResponse

    public init(_ body: @escaping @Sendable (TriggerBatch) async throws -> TriggerResponse) {
        self.body = body
    }

    public func invoke(_ batch: TriggerBatch) async throws -> TriggerResponse {
        try await body(batch)
    }
}

/// A function error with the function's own message (Lambda's `errorMessage`).
public struct FunctionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var type: String

    public init(_ message: String, type: String = "Unhandled") {
        self.message = message
        self.type = type
    }

    public var description: String { "\(type): \(message)" }
}

/// A function as registered: what to call and how long an invocation may take (Lambda's `Timeout`).
struct RegisteredFunction: Sendable {
    var function: any TriggerFunction
    var timeout: Duration
}
