import Shoal

/// An error as DynamoDB's JSON protocol sends it: an HTTP status, a `__type` and a message.
/// Every engine error maps here, in this one place.
struct ProtocolError: Error, Sendable, Equatable {
    let status: Int
    let type: String
    let message: String
    /// The current item, on a ConditionalCheckFailedException with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    var item: Item?
    /// On a TransactionCanceledException.
    var cancellationReasons: [CancellationReason]?
    /// Why a request was throttled (enforced capacity): `ThrottlingReasons` in the answer.
    var throttlingReasons: [ThrottlingReason]?
    /// What the server's log says; for internal errors it has details (paths, LMDB codes) that
    /// the client's `message` never carries.
    var logMessage: String { detail ?? message }
    private var detail: String?

    static let dynamoNamespace = "com.amazonaws.dynamodb.v20120810#"
    static let coralNamespace = "com.amazon.coral.service#"

    init(status: Int = 400, type: String, message: String, item: Item? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.item = item
    }

    init(_ error: ShoalError) {
        if error.kind == .internalServerError {
            self.init(status: 500, type: ProtocolError.dynamoNamespace + error.type, message: "Internal server error")
            detail = error.message
            return
        }
        self.init(status: 400, type: ProtocolError.dynamoNamespace + error.type, message: error.message, item: error.item)
        cancellationReasons = error.cancellationReasons
        throttlingReasons = error.throttlingReasons
    }

    /// The body is not JSON, or a member has the wrong JSON type.
    static func serialization(_ message: String) -> ProtocolError {
        ProtocolError(type: coralNamespace + "SerializationException", message: message)
    }

    static func validation(_ message: String) -> ProtocolError { ProtocolError(ShoalError.validation(message)) }

    static func unknownOperation(_ target: String?) -> ProtocolError {
        ProtocolError(type: coralNamespace + "UnknownOperationException",
                      message: target.map { "Unknown operation: \($0)" } ?? "Missing X-Amz-Target header")
    }

    static let missingAuthenticationToken = ProtocolError(
        type: coralNamespace + "MissingAuthenticationTokenException", message: "Request is missing Authentication Token")

    static let unrecognizedClient = ProtocolError(
        type: coralNamespace + "UnrecognizedClientException", message: "The security token included in the request is invalid.")

    static func invalidSignature(_ message: String) -> ProtocolError {
        ProtocolError(type: coralNamespace + "InvalidSignatureException", message: message)
    }

    static let requestTooLarge = ProtocolError(
        status: 413, type: coralNamespace + "RequestEntityTooLarge", message: "Request payload size exceeds the limit of 16 MB")

    /// The body did not arrive in time (`ServerConfiguration.bodyTimeout`).
    static func bodyTimedOut(_ timeout: Duration) -> ProtocolError {
        ProtocolError(status: 408, type: coralNamespace + "RequestTimeoutException",
                      message: "The request body was not received within \(timeout.components.seconds) seconds")
    }

    /// A body whose `Content-Encoding` cannot be undone: DynamoDB answers these with HTTP 500.
    static func undecodableBody(_ message: String) -> ProtocolError {
        ProtocolError(status: 500, type: dynamoNamespace + "InternalServerError", message: message)
    }

    /// The request body could not be read from the connection.
    static func unreadableBody(_ detail: String) -> ProtocolError {
        var error = ProtocolError(type: coralNamespace + "SerializationException", message: "The request body could not be read")
        error.detail = "The request body could not be read: \(detail)"
        return error
    }

    static func internalError(_ message: String) -> ProtocolError {
        var error = ProtocolError(status: 500, type: dynamoNamespace + "InternalServerError", message: "Internal server error")
        error.detail = message
        return error
    }

    var json: JSONValue {
        if let reasons = cancellationReasons {
            // DynamoDB spells this one's message member with a capital M.
            return .object([("__type", .string(type)), ("CancellationReasons", .array(reasons.map { reason in
                var entry: [(String, JSONValue)] = [("Code", .string(reason.code))]
                if let item = reason.item { entry.append(("Item", AttributeValueJSON.encode(item))) }
                if let message = reason.message { entry.append(("Message", .string(message))) }
                return .object(entry)
            })), ("Message", .string(message))])
        }
        var members: [(String, JSONValue)] = [("__type", .string(type)), ("message", .string(message))]
        if let item { members.append(("Item", AttributeValueJSON.encode(item))) }
        if let reasons = throttlingReasons, !reasons.isEmpty {
            members.append(("ThrottlingReasons", .array(reasons.map { .object([("reason", .string($0.reason)), ("resource", .string($0.resource))]) })))
        }
        return .object(members)
    }
}

/// Runs an engine call, turning its ``ShoalError`` into the protocol's error.
func engine<T>(_ body: () throws(ShoalError) -> T) throws(ProtocolError) -> T {
    do {
        return try body()
    } catch {
        throw ProtocolError(error)
    }
}

func engine<T>(_ body: () async throws(ShoalError) -> T) async throws(ProtocolError) -> T {
    do {
        return try await body()
    } catch {
        throw ProtocolError(error)
    }
}

/// Runs an engine call in its own task, turning its ``ShoalError`` into the protocol's error: a
/// client that goes away does not cancel the work half-way (a reshard, a rollback).
func engineDetached<T: Sendable>(_ work: @escaping @Sendable () async throws(ShoalError) -> T) async throws(ProtocolError) -> T {
    let task = Task.detached { () async -> Result<T, ShoalError> in
        do throws(ShoalError) { return .success(try await work()) } catch { return .failure(error) }
    }
    let outcome = await task.value
    return try engine { () throws(ShoalError) in try outcome.get() }
}
