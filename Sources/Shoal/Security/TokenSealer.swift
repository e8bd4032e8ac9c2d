import Crypto
import Foundation

/// Seals the tokens a database hands to clients and later reads back (shard iterators, list
/// markers), so that a token is opaque and cannot be forged or altered: each is its payload
/// followed by an HMAC-SHA256 of a purpose label and the payload, keyed by the data directory's
/// own secret (``Catalog/tokenSecret()``), in base64.
///
/// A token that fails the check is rejected before any of its fields is read; the fields of one
/// that passes were written by this directory, yet readers still treat them as bounded input.
struct TokenSealer: Sendable {
    /// What a token is for: a token of one kind never opens as another.
    enum Purpose: UInt8 {
        case shardIterator = 1
        case mappingMarker = 2
        /// ExecuteStatement's NextToken.
        case statementPage = 3
        /// ListExports' and ListImports' NextToken.
        case jobListPage = 4
    }

    /// Kept as bytes (`SymmetricKey` is not `Sendable`); a key is made per use, which is cheap.
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }
    private static let tagSize = SHA256.byteCount
    /// Longer tokens are refused before decoding (DynamoDB's ShardIterator is at most 2048 characters).
    static let maxTokenLength = 2048

    init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A fresh random secret for a new directory (the system's cryptographic generator).
    static func makeSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    func seal(_ payload: [UInt8], for purpose: Purpose) -> String {
        let tag = HMAC<SHA256>.authenticationCode(for: [purpose.rawValue] + payload, using: key)
        return Data(payload + Array(tag)).base64EncodedString()
    }

    /// The payload of a token sealed for `purpose` by this directory, or nil.
    func open(_ token: String, for purpose: Purpose, maxLength: Int = TokenSealer.maxTokenLength) -> [UInt8]? {
        guard token.utf8.count <= maxLength, let data = Data(base64Encoded: token),
              data.count >= TokenSealer.tagSize else { return nil }
        let bytes = Array(data)
        let payload = Array(bytes[..<(bytes.count - TokenSealer.tagSize)])
        let tag = bytes[(bytes.count - TokenSealer.tagSize)...]
        guard HMAC<SHA256>.isValidAuthenticationCode(Data(tag), authenticating: [purpose.rawValue] + payload, using: key) else {
            return nil
        }
        return payload
    }
}
