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
        try SigV4Verifier.loadCredentials(path: path)
    }
}

/// Which web origins get CORS answers.
enum CORSPolicy: Equatable {
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
