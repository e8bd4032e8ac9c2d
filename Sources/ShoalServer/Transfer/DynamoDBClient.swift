import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// A small DynamoDB client over the public HTTP JSON protocol, for export and import against a
/// running server: Shoal, AWS DynamoDB or ScyllaDB Alternator. Requests are signed with SigV4
/// when `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are set (with `AWS_SESSION_TOKEN` if
/// present); the region comes from `AWS_REGION` / `AWS_DEFAULT_REGION`, else the endpoint's
/// host (`dynamodb.REGION.amazonaws.com`), else `us-east-1`. Throttling and server errors are
/// retried with backoff.
struct DynamoDBClient: Sendable {
    /// The client of Shoal's own calls to a server (export, import, `shoal triggers`): it follows
    /// no redirect (only the address the operator named is called), and a compressed answer is
    /// bounded by its decompressed size, not by a ratio. AsyncHTTPClient's shared client allows 25:1,
    /// which a page of repetitive items rendered in stored order exceeds.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.decompression = .enabled(limit: .size(64 << 20))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    let endpoint: String
    let host: String
    let region: String
    let credentials: (accessKey: String, secret: String, token: String?)?

    init(endpoint: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let url = URL(string: endpoint), let host = url.host, url.scheme == "http" || url.scheme == "https" else {
            throw TransferError("not an http(s) endpoint: \(endpoint)")
        }
        self.endpoint = endpoint.hasSuffix("/") ? endpoint : endpoint + "/"
        self.host = url.port.map { "\(host):\($0)" } ?? host
        let hostParts = host.split(separator: ".")
        region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
            ?? (hostParts.count >= 3 && hostParts[0] == "dynamodb" ? String(hostParts[1]) : "us-east-1")
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            credentials = (key, secret, environment["AWS_SESSION_TOKEN"])
        } else {
            credentials = nil
        }
    }

    /// An error DynamoDB answered with.
    struct ServiceError: Error, CustomStringConvertible {
        var type: String
        var message: String
        var description: String { "\(type): \(message)" }
    }

    /// Calls `DynamoDB_20120810.<operation>`. - Returns: the answer's JSON.
    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        let bytes = JSONWriter.encode(body)
        var delay: Duration = .milliseconds(50)
        for attempt in 1...10 {
            let (status, answer) = try await send(target: "DynamoDB_20120810." + operation, bytes)
            if status == 200 { return answer }
            let type = answer.member("__type")?.stringValue?.split(separator: "#").last.map(String.init) ?? "HTTP \(status)"
            let message = answer.member("message")?.stringValue ?? answer.member("Message")?.stringValue ?? ""
            let retryable = status >= 500 || ["ProvisionedThroughputExceededException", "ThrottlingException",
                                              "RequestLimitExceeded", "LimitExceededException"].contains(type)
            guard retryable, attempt < 10 else { throw ServiceError(type: type, message: message) }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
        throw ServiceError(type: "InternalServerError", message: "no answer")
    }

    /// One signed request to `target` (no retries). - Returns: the HTTP status and the answer's JSON.
    func send(target: String, _ body: [UInt8], timeout: TimeAmount = .seconds(60)) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        var headers = ["host": host, "content-type": "application/x-amz-json-1.0", "x-amz-target": target]
        if let credentials {
            let now = Date()
            let amzDate = DynamoDBClient.amzDate(now)
            let day = String(amzDate.prefix(8))
            headers["x-amz-date"] = amzDate
            if let token = credentials.token { headers["x-amz-security-token"] = token }
            let signed = headers.keys.sorted()
            let authorization = SigV4Verifier.Authorization(accessKey: credentials.accessKey, date: day, region: region, service: "dynamodb",
                                                            signedHeaders: signed, signature: "")
            let signature = SigV4Verifier.signature(secret: credentials.secret, authorization: authorization, amzDate: amzDate, method: "POST",
                                                    path: "/", query: "", headers: headers, body: body)
            headers["authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(day)/\(region)/dynamodb/aws4_request, "
                + "SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"
        }
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await DynamoDBClient.http.execute(request, timeout: timeout)
        let answer = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONParser.parse(Array(answer.readableBytesView))) ?? .object([])
        return (Int(response.status.code), json)
    }

    private static func amzDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}

/// A failure of an export or import, said plainly.
public struct TransferError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension JSONValue {
    func member(_ name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of a number.
    var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }
}
