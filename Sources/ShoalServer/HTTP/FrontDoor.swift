import HTTPTypes
import Hummingbird
import NIOCore

/// Who may reach one listening port: the DNS-rebinding `Host` check and the CORS policy.
/// Every port Shoal opens (DynamoDB's, each Runtime API port) is guarded by a ``FrontDoor``
/// with one of these.
struct FrontDoorPolicy: Sendable {
    /// The address and port the listener was given.
    var host: String
    var port: Int
    /// Host names besides IP addresses and `localhost` that clients may use (`--allowed-hosts`).
    var allowedHosts: [String]
    /// Whether requests must be addressed to this server by IP, `localhost` or an allowed name
    /// (every unauthenticated listener; a signed request's Host is covered by its signature).
    var checksHost: Bool
    var cors: CORSPolicy
    /// Said after a refused origin: how the operator allows it, where they can.
    var originHint = " (see shoal serve --cors-origins)"

    /// DynamoDB's port as configured.
    init(_ configuration: ServerConfiguration) {
        host = configuration.host
        port = configuration.port
        allowedHosts = configuration.allowedHosts
        if case .none = configuration.authentication { checksHost = true } else { checksHost = false }
        cors = configuration.corsPolicy
    }

    /// Whether `origin` (`scheme://host[:port]`) is the origin of a page served at `authority`
    /// (the request's Host): the same host and port, with the scheme's default port filled in.
    static func isSameOrigin(_ origin: String, authority: String?) -> Bool {
        guard let authority, let separator = origin.range(of: "://") else { return false }
        let scheme = origin[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return false }
        let defaultPort = scheme == "https" ? 443 : 80
        let (originHost, originPort) = FrontDoorPolicy.split(String(origin[separator.upperBound...]))
        let (host, port) = FrontDoorPolicy.split(authority)
        guard !originHost.isEmpty, originPort != -1, port != -1 else { return false }
        return originHost.lowercased() == host.lowercased() && (originPort ?? defaultPort) == (port ?? defaultPort)
    }

    /// A port that serves no web page and takes no signature (a Runtime API port): the Host check
    /// always, and no CORS at all.
    init(unauthenticatedPortAt host: String, port: Int, allowedHosts: [String]) {
        self.host = host
        self.port = port
        self.allowedHosts = allowedHosts
        checksHost = true
        cors = .off
        originHint = ""
    }
}

/// What every request passes before routing: DynamoDB's 16 KB limits on the request line and the
/// headers (answered 400 before authentication), the `Host` check that keeps a web page from
/// reaching an unauthenticated port through DNS rebinding, and CORS. `GET /metrics` is never a
/// cross-origin read: it gets no CORS headers, a request with `Origin` is refused, and the Host
/// check applies unless the metrics are signed (`--metrics-auth sigv4`).
struct FrontDoor<Next: HTTPResponder>: HTTPResponder {
    typealias Context = Next.Context
    let next: Next
    let policy: FrontDoorPolicy
    /// Paths that are never read cross-origin (`/metrics`): no CORS, and the Host check unless
    /// `privatePathsSigned` (their requests carry a signature, which covers Host).
    var privatePaths: Set<String> = []
    var privatePathsSigned = false
    /// The console's path (`{base}/console`): pages of other origins get no CORS there, whatever
    /// the CORS policy of DynamoDB's endpoint (`*` under sigv4).
    var sameOriginRoot: String?

    static var maxRequestLine: Int { 16 * 1024 }
    static var maxHeaderBytes: Int { 16 * 1024 }
    static var exposedHeaders: String { "x-amzn-RequestId, x-amzn-ErrorType, x-amz-crc32, x-amz-id-2, Date" }

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.uri.description.utf8.count > FrontDoor.maxRequestLine {
            return plainTextResponse(.badRequest, "Request-URI Too Long")
        }
        var headerBytes = 0
        for field in request.headers { headerBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        if headerBytes > FrontDoor.maxHeaderBytes {
            return plainTextResponse(.badRequest, "Request Header Fields Too Large")
        }
        let path = request.uri.path
        let isPrivate = privatePaths.contains(path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path)
        if policy.checksHost || (isPrivate && !privatePathsSigned) {
            if let refusal = refusalOfHost(request.head.authority) { return refusal }
        }
        guard let origin = request.headers[.origin] else {
            // Without Origin there is no CORS; a preflight-shaped request is just answered.
            return try await next.respond(to: request, context: context)
        }
        // A page this server served (the console) calling it back is not cross-origin: no CORS.
        // The Host check above has made sure, where it applies, that the name is this server's.
        if !isPrivate && FrontDoorPolicy.isSameOrigin(origin, authority: request.head.authority) {
            return try await next.respond(to: request, context: context)
        }
        let sameOriginOnly = sameOriginRoot.map { path == $0 || path.hasPrefix($0 + "/") } ?? false
        guard !isPrivate, !sameOriginOnly, let allowOrigin = policy.cors.allowOrigin(for: origin) else {
            // A web page the user did not allow: refuse before anything runs.
            return plainTextResponse(.forbidden, "Origin \(origin) is not allowed" + (isPrivate ? "" : policy.originHint))
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

    /// Only requests addressed to this server by an IP address or `localhost` (and its port), or
    /// by a name the operator allowed, are served: a DNS name that resolves here is how DNS
    /// rebinding gets in.
    private func refusalOfHost(_ authority: String?) -> Response? {
        guard let authority else { return plainTextResponse(.badRequest, "Missing Host header") }
        let (host, port) = FrontDoorPolicy.split(authority)
        let name = host.lowercased()
        let hostAllowed = name == "localhost" || name == policy.host.lowercased()
            || policy.allowedHosts.contains { $0.lowercased() == name }
            || IPv4Address(host) != nil || IPv6Address(host) != nil
        let portAllowed = policy.port == 0 || (port ?? 80) == policy.port
        if hostAllowed && portAllowed { return nil }
        return plainTextResponse(.forbidden, "Host \(authority) is not an address of this server (DNS rebinding protection; use an IP address or localhost, or name the host with --allowed-hosts)")
    }

}

extension FrontDoorPolicy {
    /// A Host value's host and port (-1: a port that is not a number).
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
}

/// A short plain-text refusal that closes the connection.
func plainTextResponse(_ status: HTTPResponse.Status, _ text: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/plain"
    headers[.connection] = "close"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
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

/// Whether an address given to a listener is the loopback interface only.
public func isLoopbackAddress(_ host: String) -> Bool {
    let name = host.lowercased()
    return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.")
}
