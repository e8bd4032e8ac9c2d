import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shoal

/// The Lambda Runtime API of one function on its own address, as AWS's runtime interface clients
/// expect it (`AWS_LAMBDA_RUNTIME_API=host:port`): `GET /2018-06-01/runtime/invocation/next`,
/// `POST …/invocation/{id}/response`, `POST …/invocation/{id}/error`, `POST …/init/error`.
public enum RuntimeAPIServer {
    static let requestID = HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!
    static let deadline = HTTPField.Name("Lambda-Runtime-Deadline-Ms")!
    static let functionArn = HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!
    static let traceID = HTTPField.Name("Lambda-Runtime-Trace-Id")!
    /// Lambda's limit on a synchronous response.
    static let maxPayload = 6 << 20

    /// The function's Runtime API on `host:port`, behind the same front door as every port: only
    /// requests addressed to it by IP address, `localhost` or one of `allowedHosts`, and none
    /// from a web page (any `Origin` is refused), since the events it hands out are item data.
    public static func application(function: RuntimeAPIFunction, host: String, port: Int, allowedHosts: [String] = [],
                                   headerTimeout: Duration = ServerConfiguration().headerTimeout,
                                   bodyTimeout: Duration = ServerConfiguration().bodyTimeout,
                                   logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: RuntimeRequestContext.self)
        router.get("/2018-06-01/runtime/invocation/next") { _, context -> Response in
            // A client that goes away while it waits is gone: its place in the queue is given up,
            // and an invocation handed out as it left goes back to the queue, uncounted.
            let channel = context.channel
            let poll = Task { await function.next() }
            channel.closeFuture.whenComplete { _ in poll.cancel() }
            let outcome = await poll.value
            guard case .handout(let handout) = outcome else {
                if case .tooManyPollers = outcome {
                    return answer(.tooManyRequests, ["errorMessage": "More than \(RuntimeAPIFunction.maxPollers) clients are waiting for invocations of \(function.name)", "errorType": "TooManyRequestsException"])
                }
                return Response(status: .noContent)
            }
            guard channel.isActive else {
                function.requeue(handout.id)
                return Response(status: .noContent)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[requestID] = handout.id
            headers[deadline] = String(handout.deadlineMillis)
            headers[functionArn] = handout.functionArn
            headers[traceID] = "Root=1-\(String(handout.deadlineMillis / 1000, radix: 16))-\(handout.id.replacingOccurrences(of: "-", with: "").prefix(24));Sampled=0"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: handout.event)))
        }
        router.post("/2018-06-01/runtime/invocation/:id/response") { request, context -> Response in
            let body: [UInt8]
            switch await readBody(request) {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            let id = context.parameters.get("id") ?? ""
            guard function.respond(id, body: body) else { return invalidRequestID(id) }
            return answer(.accepted, ["status": "OK"])
        }
        router.post("/2018-06-01/runtime/invocation/:id/error") { request, context -> Response in
            let body: [UInt8]
            switch await readBody(request) {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            let id = context.parameters.get("id") ?? ""
            guard function.error(id, body: body) else { return invalidRequestID(id) }
            return answer(.accepted, ["status": "OK"])
        }
        router.post("/2018-06-01/runtime/init/error") { request, _ -> Response in
            let body: [UInt8]
            switch await readBody(request) {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            function.initError(body: body)
            logger.warning("Lambda runtime of \(function.name) failed to initialize: \(String(decoding: body.prefix(512), as: UTF8.self))")
            return answer(.accepted, ["status": "OK"])
        }
        let policy = FrontDoorPolicy(unauthenticatedPortAt: host, port: port, allowedHosts: allowedHosts)
        let limiter = ConnectionLimiter(limit: ServerConfiguration.runtimeAPIMaxConnections)
        return Application(responder: FrontDoor(next: router.buildResponder(), policy: policy),
                           server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limiter: limiter, headerTimeout: headerTimeout,
                                                                                                   bodyTimeout: bodyTimeout,
                                                                                                   closesOnInputEnd: true)],
                                                               idleTimeout: .seconds(3600))),
                           configuration: .init(address: .hostname(host, port: port), serverName: "Shoal-Lambda-Runtime"),
                           logger: logger)
    }

    private static func invalidRequestID(_ id: String) -> Response {
        answer(.badRequest, ["errorMessage": "Invalid request ID: \(id)", "errorType": "InvalidRequestID"])
    }

    /// Why a runtime's post was refused before it was read whole: nothing of it is recorded, so the
    /// invocation stays in flight until the runtime posts again or its timeout ends it.
    struct Refusal: Error {
        let response: Response
    }

    /// The body of a runtime's post: at most Lambda's payload limit, within the connection's
    /// body deadline. A body that is too large, that does not arrive in time or that cannot be
    /// read is refused as such, where an empty body used to be taken for the runtime's answer.
    static func readBody(_ request: Request) async -> Result<[UInt8], Refusal> {
        do throws(ProtocolError) {
            return .success(try await RequestBody.collect(request, limit: maxPayload))
        } catch {
            if error.status == 413 {
                return .failure(Refusal(response: answer(.contentTooLarge, ["errorMessage": "Exceeded maximum allowed payload size (\(maxPayload) bytes).",
                                                                            "errorType": "RequestEntityTooLarge"])))
            }
            let status: HTTPResponse.Status = error.status == 408 ? .requestTimeout : .badRequest
            return .failure(Refusal(response: answer(status, ["errorMessage": error.message,
                                                              "errorType": error.status == 408 ? "RequestTimeout" : "InvalidRequestContent"])))
        }
    }

    private static func answer(_ status: HTTPResponse.Status, _ members: KeyValuePairs<String, String>) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let json = JSONValue.object(members.map { ($0.key, .string($0.value)) })
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(json))))
    }
}

/// The Runtime API's request context: the connection, so that a waiting `next` notices its
/// client leave.
struct RuntimeRequestContext: RequestContext {
    typealias Source = ApplicationRequestContextSource
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
