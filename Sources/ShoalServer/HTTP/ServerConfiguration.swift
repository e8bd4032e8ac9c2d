/// How `shoal serve` runs.
public struct ServerConfiguration: Sendable {
    public enum Authentication: Sendable {
        /// Any credentials are accepted (like DynamoDB Local); bind to loopback.
        case none
        /// AWS Signature Version 4 against these access keys (id → secret).
        case sigV4(credentials: [String: String])
    }

    public var host: String
    public var port: Int
    public var authentication: Authentication
    /// Largest accepted request body (DynamoDB's limit is 16 MB).
    public var maxBodySize: Int = 16 * 1024 * 1024
    public var defaultRegion: String = "us-east-1"
    /// Origins whose web pages may call the server (`["*"]` for any); nil: CORS off. Used with
    /// `--auth none`; with SigV4 the server answers CORS as DynamoDB does (any origin, since
    /// the signature protects the data).
    public var corsOrigins: [String]?
    /// With `--auth none`, host names (besides IP addresses and `localhost`) that clients may use
    /// to address the server, e.g. a container's service name. Everything else is refused, so a
    /// web page cannot reach the server through DNS rebinding.
    public var allowedHosts: [String] = []
    /// With `--auth sigv4`, the regions a signature's credential scope may name (`--regions`);
    /// nil: any, since a local server has no region of its own.
    public var regions: [String]?
    /// How `GET /metrics` is protected (`--metrics-auth`); nil: as the server is (signed under
    /// `--auth sigv4`, since the figures name every table).
    public var metricsAuthentication: MetricsAuthentication?
    /// URL prefixes that webhook and on-failure URLs given through Lambda's API must start with
    /// (`--allowed-destinations`); empty: none is accepted. A triggers file (the operator's) is
    /// not limited by it.
    public var allowedDestinations: [String] = []
    /// Under `--auth sigv4`: the principal ARN of each access key (the credentials file's
    /// `principal_arn`); a key without one is the server account's root.
    public var principals: [String: String] = [:]
    /// The folder admin operations may write backups under (`--backup-root`); nil refuses them.
    public var backupRoot: String?
    /// How long a client may take to send a request's headers (from the connection's start or the
    /// request's first byte), and then its body.
    public var headerTimeout: Duration = .seconds(10)
    public var bodyTimeout: Duration = .seconds(60)
    /// The most connections served at once (`--max-connections`); a connection past it is closed
    /// at once. Each Runtime API port has its own limit of ``runtimeAPIMaxConnections``.
    public var maxConnections = 1024
    public static let runtimeAPIMaxConnections = 256
    /// The web console (`--console`, `--base-path`).
    public var console = ConsoleSettings()

    public init(host: String = "127.0.0.1", port: Int = 8000, authentication: Authentication = .none) {
        self.host = host
        self.port = port
        self.authentication = authentication
    }
}

extension ServerConfiguration {
    /// Reads access keys from an AWS shared-credentials style file (`aws_access_key_id` /
    /// `aws_secret_access_key` pairs in `[profile]` sections).
    public static func loadCredentials(path: String) throws -> [String: String] {
        try SigV4Verifier.loadCredentials(path: path).secrets
    }

    /// The `principal_arn` of each access key in a credentials file that names one.
    public static func loadPrincipals(path: String) throws -> [String: String] {
        try SigV4Verifier.loadCredentials(path: path).principals
    }
}

/// How `GET /metrics` is protected.
public enum MetricsAuthentication: String, Sendable, CaseIterable {
    case none, sigv4
}

extension ServerConfiguration {
    /// Whether `GET /metrics` must carry a valid signature.
    var metricsSigned: Bool {
        guard case .sigV4 = authentication else { return false }
        return metricsAuthentication != MetricsAuthentication.none
    }

    /// The verifier for requests signed for `service`, or nil under `--auth none`.
    func verifier(service: String) -> SigV4Verifier? {
        guard case .sigV4(let credentials) = authentication else { return nil }
        return SigV4Verifier(credentials: credentials, service: service, regions: regions.map(Set.init))
    }
}

/// Which web origins get CORS answers.
enum CORSPolicy: Equatable, Sendable {
    /// DynamoDB's: every origin, answered with `*`.
    case any
    case only(Set<String>)
    case off

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or nil to refuse it.
    func allowOrigin(for origin: String) -> String? {
        switch self {
        case .any: return "*"
        case .only(let origins): return origins.contains(origin) ? origin : nil
        case .off: return nil
        }
    }
}

extension ServerConfiguration {
    var corsPolicy: CORSPolicy {
        if case .sigV4 = authentication { return .any }
        guard let origins = corsOrigins, !origins.isEmpty else { return .off }
        return origins.contains("*") ? .any : .only(Set(origins))
    }
}

/// Where and whether the web console is served.
public struct ConsoleSettings: Sendable {
    /// `--console off` turns it off: nothing under `/console/` answers.
    public var enabled = true
    /// The path prefix a reverse proxy serves Shoal under (`--base-path /shoal`): the console is
    /// at `/shoal/console/`. Empty, or `/` followed by path segments without a trailing slash.
    public var basePath = ""
    /// How long a console session lasts after its login (under `--auth sigv4`).
    public var sessionLifetime: Duration = .seconds(12 * 3600)

    public init(enabled: Bool = true, basePath: String = "") {
        self.enabled = enabled
        self.basePath = basePath
    }

    /// A `--base-path` value made canonical (`shoal/` → `/shoal`), or nil when it is not a plain path.
    public static func normalizedBasePath(_ text: String) -> String? {
        let segments = text.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        guard segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.allSatisfy(allowed.contains) }) else { return nil }
        return segments.isEmpty ? "" : "/" + segments.joined(separator: "/")
    }

    /// The console's own path: `{basePath}/console`.
    var root: String { basePath + "/console" }
}
