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
    /// Responses at least this large are compressed when the client accepts gzip or deflate.
    public var compressionThreshold: Int = 1024
    public var defaultRegion: String = "us-east-1"

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
