import AsyncHTTPClient
import Foundation
import NIOCore
import Shoal

/// Shoal's operations on the whole data directory (`X-Amz-Target: ShoalAdmin_20261126.<Operation>`),
/// for `shoal backup` while a server owns the directory. They pass the same authentication as
/// DynamoDB's operations.
struct AdminOperations: Sendable {
    let database: Database

    /// `{"Path": "/absolute/new/dir"}` → `{"Path", "Bytes", "ShardCount", "CreatedAt"}`.
    func backupDataDirectory(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let path = try r.requiredString("Path")
        guard path.hasPrefix("/") else { throw .validation("Path must be absolute: \(path)") }
        let result = try await engine { () async throws(ShoalError) in try await database.backUpDirectory(to: path) }
        return .object([
            ("Path", .string(result.path)),
            ("Bytes", .number(String(result.bytes))),
            ("ShardCount", .number(String(result.shardCount))),
            ("CreatedAt", .number(String(format: "%.3f", result.createdAt.timeIntervalSince1970))),
        ])
    }
}

/// The client side: asks a running server to back its data directory up.
public enum AdminClient {
    /// The file in a data directory where `shoal serve` writes its address while it runs.
    public static let endpointFile = "ENDPOINT"

    /// - Returns: the bytes written.
    public static func backupDataDirectory(endpoint: String, to path: String) async throws -> Int {
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/")
        request.method = .POST
        request.headers.add(name: "X-Amz-Target", value: OperationDispatcher.adminTargetPrefix + "BackupDataDirectory")
        request.headers.add(name: "Content-Type", value: "application/x-amz-json-1.0")
        let body = try JSONSerialization.data(withJSONObject: ["Path": path])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
        let answer = try await response.body.collect(upTo: 1 << 20)
        let json = try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
        guard response.status.code == 200, let bytes = json?["Bytes"] as? Int else {
            let message = json?["message"] as? String ?? json?["Message"] as? String ?? String(decoding: answer.readableBytesView.prefix(512), as: UTF8.self)
            throw FunctionError("\(endpoint) answered HTTP \(response.status.code): \(message)")
        }
        return bytes
    }
}
