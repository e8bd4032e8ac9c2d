import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shoal

/// The console's API under `{base}/console/api/`, each request admitted by the ``ConsoleGate``:
///
/// - `GET|POST|DELETE session`: the auth mode and the session (log in with a key, log out);
/// - `POST dynamodb`: one DynamoDB (or Streams, or ShoalAdmin) operation, named by `X-Amz-Target`,
///   run exactly as a signed request of the session's key would be (policies included);
/// - `lambda/2015-03-31/event-source-mappings…`: Lambda's mapping API (see ``LambdaAPIHandler``);
/// - `GET functions`, `GET metrics`: the registered functions; the last 15 minutes of figures;
/// - `GET stream?table=T`: the table's new stream records as Server-Sent Events (``ConsoleStream``).
enum ConsoleAPI {
    static func register(on router: Router<BasicRequestContext>, host: DatabaseHost, configuration: ServerConfiguration,
                         handler: DynamoDBRequestHandler, metrics: ServerMetrics, gate: ConsoleGate) {
        let api = configuration.console.root + "/api"
        let streams = ConsoleStream()
        let sigv4: Bool
        if case .sigV4 = configuration.authentication { sigv4 = true } else { sigv4 = false }

        router.get(RouterPath(api + "/session")) { request, _ in
            switch gate.admit(request, needsSession: false) {
            case .refused(let status, let message): return failure(status, message)
            case .admitted(let session, _):
                var members: [(String, JSONValue)] = [("Auth", .string(sigv4 ? "sigv4" : "none")),
                                                      ("Authenticated", .bool(!sigv4 || session != nil))]
                if let session {
                    members += [("AccessKeyId", .string(session.accessKey)),
                                ("PrincipalArn", .string(session.principalArn ?? "arn:aws:iam::\(Principal.serverAccount):root")),
                                ("Csrf", .string(session.csrf)),
                                ("ExpiresAt", .number(String(Int(session.expires.timeIntervalSince1970))))]
                }
                members.append(("Region", .string(configuration.defaultRegion)))
                return json(.object(members))
            }
        }
        router.post(RouterPath(api + "/session")) { request, _ in
            if case .refused(let status, let message) = gate.admit(request, needsSession: false) { return failure(status, message) }
            guard let sessions = gate.sessions else {
                return failure(.badRequest, "This server runs with --auth none: the console needs no login")
            }
            if sessions.throttled() {
                return failure(.tooManyRequests, "Too many failed logins in the last minute: wait a minute and try again")
            }
            let body: JSONValue
            do { body = try JSONParser.parse(try await RequestBody.collect(request, limit: 16 * 1024)) } catch {
                return failure(.badRequest, "The login must be a JSON object with AccessKeyId and SecretAccessKey")
            }
            guard let key = body["AccessKeyId"]?.stringValue, let secret = body["SecretAccessKey"]?.stringValue,
                  let (token, session) = sessions.logIn(accessKey: key, secret: secret) else {
                // Slows down guessing; the answer does not say which of the two was wrong.
                try? await Task.sleep(for: .milliseconds(300))
                return failure(.unauthorized, "The access key ID or the secret access key is not valid")
            }
            var response = json(.object([("Authenticated", .bool(true)), ("AccessKeyId", .string(session.accessKey)),
                                         ("Csrf", .string(session.csrf)),
                                         ("ExpiresAt", .number(String(Int(session.expires.timeIntervalSince1970))))]))
            let lifetime = Int(session.expires.timeIntervalSinceNow.rounded())
            response.headers[.setCookie] = cookie(token, maxAge: lifetime, request: request, path: configuration.console.root + "/")
            return response
        }
        router.delete(RouterPath(api + "/session")) { request, _ in
            switch gate.admit(request) {
            case .refused(let status, let message): return failure(status, message)
            case .admitted(_, let token):
                if let token { gate.sessions?.logOut(token) }
                var response = json(.object([("Authenticated", .bool(false))]))
                response.headers[.setCookie] = cookie("", maxAge: 0, request: request, path: configuration.console.root + "/")
                return response
            }
        }
        router.post(RouterPath(api + "/dynamodb")) { request, _ in
            let started = ContinuousClock.now
            let principal: Principal?
            switch gate.admit(request) {
            case .refused(let status, let message): return failure(status, message)
            case .admitted(let session, _): principal = session.map { Principal(arn: $0.principalArn) }
            }
            let target = request.headers[DynamoDBRequestHandler.target]
            let result: Result<JSONValue, ProtocolError>
            do throws(ProtocolError) {
                result = .success(try await operation(request, target: target, principal: principal, handler: handler, configuration: configuration))
            } catch {
                result = .failure(error)
            }
            var failed: String?
            if case .failure(let error) = result { failed = error.type }
            metrics.record(operation: OperationDispatcher.operation(fromTarget: target), duration: ContinuousClock.now - started, errorType: failed)
            var response = DynamoDBRequestHandler.response(result, requestID: DynamoDBRequestHandler.makeRequestID(), request: request,
                                                           configuration: configuration)
            response.headers = ConsoleRoutes.secured(response.headers)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.get(RouterPath(api + "/functions")) { request, _ in
            if case .refused(let status, let message) = gate.admit(request) { return failure(status, message) }
            let database = host.current
            let functions = database.registeredFunctions.map { entry -> JSONValue in
                var members: [(String, JSONValue)] = [("FunctionName", .string(entry.name)),
                                                      ("Timeout", .number(String(entry.timeout.components.seconds)))]
                switch entry.function {
                case let runtime as RuntimeAPIFunction:
                    members += [("Kind", .string("RuntimeApi")), ("WaitingClients", .number(String(runtime.waitingPollers)))]
                    if let error = runtime.lastInitError { members.append(("LastInitError", .string(error))) }
                case let webhook as WebhookFunction:
                    members += [("Kind", .string("Webhook")), ("Url", .string(DestinationURL.redacted(webhook.url)))]
                default:
                    members.append(("Kind", .string("InProcess")))
                }
                return .object(members)
            }
            return json(.object([("Functions", .array(functions))]))
        }
        router.get(RouterPath(api + "/metrics")) { request, _ in
            if case .refused(let status, let message) = gate.admit(request) { return failure(status, message) }
            let hotKeys = await host.whenAvailable { database in ConsoleFigures.hotKeys(database) } ?? .array([])
            return json(ConsoleFigures.render(metrics.history ?? MetricsHistory(), hotKeys: hotKeys))
        }
        router.get(RouterPath(api + "/stream")) { request, _ in
            let principal: Principal?
            switch gate.admit(request) {
            case .refused(let status, let message): return failure(status, message)
            case .admitted(let session, _): principal = session.map { Principal(arn: $0.principalArn) }
            }
            return await streams.serve(request, host: host, handler: handler, configuration: configuration, principal: principal)
        }
        LambdaAPIHandler.register(on: router, host: host, configuration: configuration, console: (api + "/lambda", gate))
    }

    /// Runs one operation of `POST dynamodb` as the admitted principal.
    private static func operation(_ request: Request, target: String?, principal: Principal?, handler: DynamoDBRequestHandler,
                                  configuration: ServerConfiguration) async throws(ProtocolError) -> JSONValue {
        guard let operation = OperationDispatcher.operation(fromTarget: target) else { throw .unknownOperation(target) }
        let raw = try await RequestBody.collect(request, limit: configuration.maxBodySize)
        var body = JSONValue.object([])
        if !raw.isEmpty {
            do { body = try JSONParser.parse(raw) } catch { throw .serialization(error.message) }
        }
        let endpoint = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        return try await handler.run(operation, json: body, target: target, region: configuration.defaultRegion, endpoint: endpoint,
                                     principal: principal)
    }

    /// A JSON answer that no cache keeps.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = ConsoleRoutes.secured(HTTPFields())
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value))))
    }

    /// A refusal in the shape of DynamoDB's errors, so the pages read every failure alike.
    static func failure(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let type = switch status {
        case .unauthorized: "ConsoleLoginRequired"
        case .forbidden: "AccessDeniedException"
        case .tooManyRequests: "ThrottlingException"
        default: "ValidationException"
        }
        return json(.object([("__type", .string("com.amazonaws.dynamodb.v20120810#" + type)), ("message", .string(message))]), status: status)
    }

    /// The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
    /// sends it), scoped to the console's path, Secure when the page was loaded over HTTPS.
    static func cookie(_ token: String, maxAge: Int, request: Request, path: String) -> String {
        let secure = request.headers[.origin]?.hasPrefix("https://") == true
            || request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return "\(ConsoleSessions.cookieName)=\(token); Path=\(path); Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}
