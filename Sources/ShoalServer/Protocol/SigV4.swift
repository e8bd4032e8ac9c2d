import Crypto
import Foundation

/// AWS Signature Version 4 verification for DynamoDB requests.
///
/// Rebuilds the canonical request from the method, path, query, the signed headers and the hash
/// of the body as received, derives the signing key from the secret of the access key named in
/// the credential scope, and compares signatures in constant time. Requests dated more than
/// 15 minutes from the server's clock are refused.
struct SigV4Verifier: Sendable {
    /// Access key id → secret access key.
    let credentials: [String: String]
    /// The service the credential scope must name: `dynamodb` for DynamoDB and its Streams,
    /// `lambda` for Lambda's API.
    var service = "dynamodb"
    /// The regions a credential scope may name (`--regions`); nil: any (a local server has none of its own).
    var regions: Set<String>?
    static let maxSkew: TimeInterval = 15 * 60

    init(credentials: [String: String], service: String = "dynamodb", regions: Set<String>? = nil) {
        self.credentials = credentials
        self.service = service
        self.regions = regions
    }

    struct Authorization: Equatable {
        var accessKey: String
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String
    }

    /// The `key=value` parameters after `AWS4-HMAC-SHA256`, separated by commas, whitespace or both
    /// (DynamoDB accepts each form).
    static func parameters(_ header: String) -> [String: String]? {
        guard header.hasPrefix("AWS4-HMAC-SHA256") else { return nil }
        var fields: [String: String] = [:]
        let rest = header.utf8.dropFirst("AWS4-HMAC-SHA256".utf8.count)
        guard rest.isEmpty || rest.first == UInt8(ascii: " ") || rest.first == UInt8(ascii: ",") else { return nil }
        for part in rest.split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            guard let equals = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: part[part.startIndex..<equals], as: UTF8.self)
            fields[name] = String(decoding: part[part.index(after: equals)...], as: UTF8.self)
        }
        return fields
    }

    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=…, Signature=…`.
    static func parse(_ header: String) -> Authorization? {
        guard let fields = parameters(header), let credential = fields["Credential"], let signed = fields["SignedHeaders"],
              let signature = fields["Signature"] else { return nil }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else { return nil }
        return Authorization(accessKey: scope[0], date: scope[1], region: scope[2], service: scope[3],
                             signedHeaders: signed.split(separator: ";").map(String.init), signature: signature)
    }

    /// The region a request was signed for, if it carries an Authorization header with a
    /// credential scope (read without parsing the whole header: every request asks).
    static func region(authorization: String?) -> String? {
        guard let authorization else { return nil }
        let bytes = Array(authorization.utf8)
        let marker = Array("Credential=".utf8)
        guard bytes.count > marker.count else { return nil }
        var start = -1
        for i in 0...(bytes.count - marker.count) where bytes[i] == marker[0] && bytes[i..<i + marker.count].elementsEqual(marker) {
            start = i + marker.count
            break
        }
        guard start >= 0 else { return nil }
        // AKID/DATE/REGION/SERVICE/aws4_request
        var slashes = 0
        var regionStart = -1
        var i = start
        while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: " ") {
            if bytes[i] == UInt8(ascii: "/") {
                slashes += 1
                if slashes == 2 { regionStart = i + 1 }
                if slashes == 3 { return regionStart < i ? String(decoding: bytes[regionStart..<i], as: UTF8.self) : nil }
            }
            i += 1
        }
        return nil
    }

    /// What the headers of a signed request established: the credential scope and the secret
    /// its signature is to be checked with once the body is in.
    struct SignedRequest {
        var authorization: Authorization
        var secret: String
        var amzDate: String
    }

    /// Verifies a whole request (``checkHeaders(_:now:)``, then ``checkSignature(_:method:path:query:headers:body:)``).
    /// - Parameters:
    ///   - headers: lower-cased header names to their values (repeated headers joined by ",").
    /// - Throws: the protocol error DynamoDB sends for a missing, unknown, expired or forged signature.
    func verify(method: String, path: String, query: String, headers: [String: String], body: [UInt8], now: Date = Date()) throws(ProtocolError) {
        let signed = try checkHeaders(headers, now: now)
        try checkSignature(signed, method: method, path: path, query: query, headers: headers, body: body)
    }

    /// Everything a request's headers can prove before its body is read: an Authorization header
    /// in SigV4's form, the request time within 15 minutes, a known access key, the credential
    /// scope's service and region, and `host` (and `x-amz-target` and `content-type` when
    /// present) among the signed headers. A server reads no body of a request that fails here.
    func checkHeaders(_ headers: [String: String], now: Date = Date()) throws(ProtocolError) -> SignedRequest {
        guard let header = headers["authorization"] else { throw .missingAuthenticationToken }
        // As DynamoDB: the request's time is checked before its scope, key and signature.
        guard let amzDate = headers["x-amz-date"], let requestDate = SigV4Verifier.parseDate(amzDate) else {
            throw .invalidSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=\(header)")
        }
        if abs(requestDate.timeIntervalSince(now)) > SigV4Verifier.maxSkew {
            let format = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false).timeSeparator(.omitted)
            let past = requestDate < now
            let edge = now.addingTimeInterval(past ? -SigV4Verifier.maxSkew : SigV4Verifier.maxSkew)
            if past {
                throw .invalidSignature("Signature expired: \(amzDate) is now earlier than \(edge.formatted(format))Z (\(now.formatted(format))Z - 15 min.)")
            }
            throw .invalidSignature("Signature not yet current: \(amzDate) is still later than \(edge.formatted(format))Z (\(now.formatted(format))Z + 15 min.)")
        }
        guard let auth = SigV4Verifier.parse(header) else {
            throw .invalidSignature("Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=\(header)")
        }
        guard let secret = credentials[auth.accessKey] else { throw .unrecognizedClient }
        guard auth.service == service else {
            throw .invalidSignature("Credential should be scoped to correct service: '\(service)'. ")
        }
        if let regions, !regions.contains(auth.region) {
            throw .invalidSignature("Credential should be scoped to a valid region. ")
        }
        for (name, shown) in [("host", "Host"), ("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type")]
        where (name == "host" || headers[name] != nil) && !auth.signedHeaders.contains(name) {
            throw .invalidSignature("'\(shown)' must be a 'SignedHeader' in the AWS Authorization.")
        }
        guard amzDate.hasPrefix(auth.date) else {
            throw .invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(auth.date)' != '\(amzDate.prefix(8))', from '\(amzDate)'.")
        }
        return SignedRequest(authorization: auth, secret: secret, amzDate: amzDate)
    }

    /// The signature over the request as received, body included.
    func checkSignature(_ signed: SignedRequest, method: String, path: String, query: String, headers: [String: String],
                        body: [UInt8]) throws(ProtocolError) {
        let expected = SigV4Verifier.signature(secret: signed.secret, authorization: signed.authorization, amzDate: signed.amzDate,
                                              method: method, path: path, query: query, headers: headers, body: body)
        guard constantTimeEqual(expected, signed.authorization.signature) else {
            throw .invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        }
    }

    static func parseDate(_ text: String) -> Date? {
        // 20240101T120000Z
        guard text.utf8.count == 16, text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var components = DateComponents()
        let digits = Array(text)
        func number(_ range: Range<Int>) -> Int? { Int(String(digits[range])) }
        guard digits[8] == "T", digits[15] == "Z", let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8),
              let h = number(9..<11), let mi = number(11..<13), let s = number(13..<15) else { return nil }
        components.year = y
        components.month = mo
        components.day = d
        components.hour = h
        components.minute = mi
        components.second = s
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }

    /// The hex signature of a request, as a client computes it.
    static func signature(secret: String, authorization auth: Authorization, amzDate: String, method: String, path: String,
                          query: String, headers: [String: String], body: [UInt8]) -> String {
        let signedHeaders = auth.signedHeaders.sorted()
        let canonicalHeaders = signedHeaders.map { name in
            "\(name):\(normalize(headers[name] ?? ""))\n"
        }.joined()
        let payloadHash = hex(SHA256.hash(data: body))
        let canonicalRequest = [method, canonicalPath(path), canonicalQuery(query), canonicalHeaders,
                                signedHeaders.joined(separator: ";"), payloadHash].joined(separator: "\n")
        let scope = "\(auth.date)/\(auth.region)/\(auth.service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(hex(SHA256.hash(data: Array(canonicalRequest.utf8))))"
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [auth.date, auth.region, auth.service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Trims and folds runs of spaces, as SigV4 requires for header values.
    private static func normalize(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    private static func canonicalPath(_ path: String) -> String { path.isEmpty ? "/" : path }

    /// The query string's parameters sorted by name, then value. Empty names and values are
    /// legal (`?=`, `?a`, `?a=`) and keep their place.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair -> (String, String) in
            guard let equals = pair.firstIndex(of: "=") else { return (String(pair), "") }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        }.sorted { $0.0 != $1.0 ? $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) : $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// Reads an AWS shared-credentials style file: `[profile]` sections with
    /// `aws_access_key_id` and `aws_secret_access_key`.
    /// Each profile's access key and secret, and its `principal_arn` when it names one (before or
    /// after the key, within the profile).
    static func loadCredentials(path: String) throws -> (secrets: [String: String], principals: [String: String]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: String] = [:]
        var principals: [String: String] = [:]
        var pendingID: String?
        var pendingSecret: String?
        var sectionKey: String?
        var sectionPrincipal: String?
        func flush() {
            if let id = pendingID, let secret = pendingSecret {
                result[id] = secret
                sectionKey = id
                if let principal = sectionPrincipal { principals[id] = principal }
            }
            pendingID = nil
            pendingSecret = nil
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                flush()
                (sectionKey, sectionPrincipal) = (nil, nil)
                continue
            }
            let pair = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "aws_access_key_id": pendingID = pair[1]
            case "aws_secret_access_key": pendingSecret = pair[1]
            case "principal_arn":
                sectionPrincipal = pair[1]
                if let key = sectionKey { principals[key] = pair[1] }
            default: break
            }
            if pendingID != nil && pendingSecret != nil { flush() }
        }
        flush()
        return (result, principals)
    }
}
