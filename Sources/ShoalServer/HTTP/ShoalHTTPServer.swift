import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Shoal

/// Shoal over DynamoDB's HTTP JSON protocol, on Hummingbird 2.
///
/// `POST /` carries the operations; `GET /` answers `healthy: <host:port>` as DynamoDB's endpoint
/// does; `GET /metrics` is Prometheus' text format (see ``ServerMetrics``); `OPTIONS` answers CORS preflights where CORS is on. Every request first passes the
/// ``FrontDoor``: request-line and header limits, the DNS-rebinding check and the CORS policy.
public enum ShoalHTTPServer {
    /// Builds the application (not yet running).
    /// `metrics`: where requests are counted and `GET /metrics` reads (give its factory to the
    /// database's options too, for the shard writers' figures).
    public static func application(database: Database, configuration: ServerConfiguration, logger: Logger,
                                   metrics: ServerMetrics = ServerMetrics()) -> some ApplicationProtocol {
        application(host: DatabaseHost(database), configuration: configuration, logger: logger, metrics: metrics)
    }

    /// Builds the application serving the host's database (which an online reshard may swap).
    public static func application(host: DatabaseHost, configuration: ServerConfiguration, logger: Logger,
                                   metrics: ServerMetrics = ServerMetrics()) -> some ApplicationProtocol {
        let handler = DynamoDBRequestHandler(host: host, configuration: configuration, metrics: metrics)
        let router = Router()
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = await host.withDatabase { database, _ in metrics.render(database) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.post("/") { request, context in
            await handler.handle(request, logger: context.logger)
        }
        router.get("/") { request, _ in
            let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "healthy: \(host) ")))
        }
        router.on("/", method: .options) { _, _ in Response(status: .ok) }
        LambdaAPIHandler.register(on: router, host: host, configuration: configuration)
        var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        // Past DynamoDB's 16 KB the front door answers 400; far past it, the parser drops the connection.
        decoder.maxHeaderListSize = 64 * 1024
        decoder.maxHeaderFieldSize = 64 * 1024
        return Application(
            responder: FrontDoor(next: router.buildResponder(), configuration: configuration),
            server: .http1(configuration: .init(idleTimeout: .seconds(300), httpDecoderConfiguration: decoder)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Shoal"),
            logger: logger)
    }
}

/// What every request passes before routing: DynamoDB's 16 KB limits on the request line and the
/// headers (answered 400 before authentication), the `Host` check that keeps a web page from
/// reaching an unauthenticated server through DNS rebinding, and CORS.
struct FrontDoor<Next: HTTPResponder>: HTTPResponder where Next.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
    let next: Next
    let configuration: ServerConfiguration

    static var maxRequestLine: Int { 16 * 1024 }
    static var maxHeaderBytes: Int { 16 * 1024 }
    static var exposedHeaders: String { "x-amzn-RequestId, x-amzn-ErrorType, x-amz-crc32, x-amz-id-2, Date" }

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.uri.description.utf8.count > FrontDoor.maxRequestLine {
            return FrontDoor.plain(.badRequest, "Request-URI Too Long")
        }
        var headerBytes = 0
        for field in request.headers { headerBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        if headerBytes > FrontDoor.maxHeaderBytes {
            return FrontDoor.plain(.badRequest, "Request Header Fields Too Large")
        }
        let policy = configuration.corsPolicy
        if case .none = configuration.authentication {
            if let refusal = refusalOfHost(request.head.authority) { return refusal }
        }
        guard let origin = request.headers[.origin] else {
            // Without Origin there is no CORS; a preflight-shaped request is just answered.
            return try await next.respond(to: request, context: context)
        }
        guard let allowOrigin = policy.allowOrigin(for: origin) else {
            // A web page the user did not allow: refuse before anything runs.
            return FrontDoor.plain(.forbidden, "Origin \(origin) is not allowed (see shoal serve --cors-origins)")
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .ok)
            // DynamoDB repeats what the preflight asked for.
            if let method = request.headers[.accessControlRequestMethod] { response.headers[.accessControlAllowMethods] = method }
            if let headers = request.headers[.accessControlRequestHeaders] { response.headers[.accessControlAllowHeaders] = headers }
            response.headers[.accessControlMaxAge] = "172800"
        } else {
            response = try await next.respond(to: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = allowOrigin
        response.headers[.accessControlExposeHeaders] = FrontDoor.exposedHeaders
        if allowOrigin != "*" { response.headers[.vary] = "Origin" }
        return response
    }

    /// With `--auth none`, only requests addressed to this server by an IP address or `localhost`
    /// (and its port) are served: a DNS name that resolves here is how DNS rebinding gets in.
    private func refusalOfHost(_ authority: String?) -> Response? {
        guard let authority else { return FrontDoor.plain(.badRequest, "Missing Host header") }
        let (host, port) = FrontDoor.split(authority)
        let name = host.lowercased()
        let hostAllowed = name == "localhost" || name == configuration.host.lowercased()
            || configuration.allowedHosts.contains { $0.lowercased() == name }
            || IPv4Address(host) != nil || IPv6Address(host) != nil
        let portAllowed = configuration.port == 0 || (port ?? 80) == configuration.port
        if hostAllowed && portAllowed { return nil }
        return FrontDoor.plain(.forbidden, "Host \(authority) is not an address of this server (DNS rebinding protection; use an IP address or localhost, or name the host with --allowed-hosts)")
    }

    static func split(_ authority: String) -> (host: String, port: Int?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = authority.lastIndex(of: ":") {
            return (String(authority[..<colon]), Int(authority[authority.index(after: colon)...]) ?? -1)
        }
        return (authority, nil)
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        headers[.connection] = "close"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Literal IP address checks (no name resolution).
struct IPv4Address {
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ $0.count <= 3 && UInt8($0) != nil }) else { return nil }
    }
}

struct IPv6Address {
    init?(_ text: String) {
        guard text.contains(":"), text.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
    }
}
