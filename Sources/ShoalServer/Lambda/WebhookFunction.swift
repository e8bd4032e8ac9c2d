import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shoal

/// A function that is an HTTP endpoint: each batch is POSTed as Lambda's DynamoDB event JSON. A
/// 2xx answer is success, its body read as Lambda's response (`batchItemFailures`, `state`);
/// anything else, a connection failure or the timeout is a function error.
///
/// Redirects are never followed (a 3xx is an error), and what the endpoint answers on failure
/// never reaches an API answer or a log line: errors carry the status code, a reason Shoal wrote,
/// and the URL with its secrets redacted.
public struct WebhookFunction: TriggerFunction {
    public let url: String
    public let timeout: Duration
    let region: String
    let client: HTTPClient

    /// Largest answer read (Lambda's response payload limit is 6 MB).
    static let maxResponseBytes = 6 << 20

    /// The client every webhook and on-failure URL is called with: it follows no redirect.
    public static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                          configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    public init(url: String, timeout: Duration, region: String, client: HTTPClient = WebhookFunction.client) {
        self.url = url
        self.timeout = timeout
        self.region = region
        self.client = client
    }

    public func invoke(_ batch: TriggerBatch) async throws -> TriggerResponse {
        let body = try await WebhookFunction.post(LambdaEvent.bytes(batch, region: region), to: url, timeout: timeout, client: client,
                                                  requestID: batch.requestID, functionArn: batch.functionArn)
        return TriggerResponse(lambdaResponse: Data(body))
    }

    /// POSTs JSON and returns the body of a 2xx answer.
    /// - Throws: ``FunctionError`` for any other status, a transport failure or the timeout.
    static func post(_ bytes: [UInt8], to url: String, timeout: Duration, client: HTTPClient,
                     requestID: String? = nil, functionArn: String? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let requestID { request.headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: requestID) }
        if let functionArn { request.headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: functionArn) }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let seconds = Int64(timeout.components.seconds)
        let nanos = timeout.components.attoseconds / 1_000_000_000
        let response: HTTPClientResponse
        var collected: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(seconds) + .nanoseconds(nanos))
            collected = try await response.body.collect(upTo: maxResponseBytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw FunctionError(String(format: "Task timed out after %.2f seconds", Double(seconds) + Double(nanos) / 1e9), type: "Sandbox.Timedout")
        } catch {
            throw FunctionError("The webhook \(DestinationURL.redacted(url)) could not be called: \(WebhookFunction.reason(error))")
        }
        let body = collected.readBytes(length: collected.readableBytes) ?? []
        guard (200..<300).contains(Int(response.status.code)) else {
            let redirect = (300..<400).contains(Int(response.status.code)) ? " (redirects are not followed)" : ""
            throw FunctionError("The webhook \(DestinationURL.redacted(url)) answered HTTP \(response.status.code)\(redirect)")
        }
        return body
    }

    /// A transport failure in Shoal's words (the client library's description can carry the URL).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .connectTimeout: return "the connection timed out"
        case let error as HTTPClientError where error == .remoteConnectionClosed: return "the endpoint closed the connection"
        case let error as HTTPClientError where error == .bodyLengthMismatch || error == .invalidURL: return "the request could not be sent"
        case is NIOTooManyBytesError: return "the answer was larger than \(maxResponseBytes) bytes"
        default: return "the connection failed"
        }
    }
}
