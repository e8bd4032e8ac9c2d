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

extension AdminOperations {
    /// `{"ShardCount": N}` → `{"From", "To", "Items", "Moved", "Seconds", "PausedSeconds"}`: reshards the served
    /// directory online (requests wait while it runs; see ``DatabaseHost``).
    static func reshardDataDirectory(_ r: RequestReader, host: DatabaseHost) async throws(ProtocolError) -> JSONValue {
        guard let count = try r.int("ShardCount") else { throw .validation("ShardCount is required") }
        let report = try await engine { () async throws(ShoalError) in try await host.reshard(to: count) }
        func seconds(_ duration: Duration) -> String {
            String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
        return .object([
            ("From", .number(String(report.from))),
            ("To", .number(String(report.to))),
            ("Items", .number(String(report.items))),
            ("Moved", .number(String(report.moved))),
            ("Seconds", .number(seconds(report.duration))),
            ("PausedSeconds", .number(seconds(report.paused ?? report.duration))),
        ])
    }
}

/// The client side: asks a running server to back its data directory up, or to reshard it.
public enum AdminClient {
    /// The file in a data directory where `shoal serve` writes its address while it runs.
    public static let endpointFile = "ENDPOINT"

    /// - Returns: the bytes written.
    public static func backupDataDirectory(endpoint: String, to path: String) async throws -> Int {
        let json = try await call(endpoint, "BackupDataDirectory", ["Path": path])
        guard let bytes = json["Bytes"] as? Int else { throw FunctionError("\(endpoint) answered without Bytes") }
        return bytes
    }

    /// What a server's online reshard did.
    public struct ReshardAnswer: Sendable {
        public var from: Int
        public var to: Int
        public var items: Int
        public var moved: Int
        public var seconds: Double
        /// How long requests were held.
        public var pausedSeconds: Double
    }

    public static func reshardDataDirectory(endpoint: String, shardCount: Int) async throws -> ReshardAnswer {
        let json = try await call(endpoint, "ReshardDataDirectory", ["ShardCount": shardCount])
        guard let from = json["From"] as? Int, let to = json["To"] as? Int, let items = json["Items"] as? Int,
              let moved = json["Moved"] as? Int, let seconds = (json["Seconds"] as? NSNumber)?.doubleValue,
              let paused = (json["PausedSeconds"] as? NSNumber)?.doubleValue else {
            throw FunctionError("\(endpoint) answered an incomplete reshard report")
        }
        return ReshardAnswer(from: from, to: to, items: items, moved: moved, seconds: seconds, pausedSeconds: paused)
    }

    /// One admin operation; its JSON answer, or an error carrying the server's message.
    private static func call(_ endpoint: String, _ operation: String, _ body: [String: Any]) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/")
        request.method = .POST
        request.headers.add(name: "X-Amz-Target", value: OperationDispatcher.adminTargetPrefix + operation)
        request.headers.add(name: "Content-Type", value: "application/x-amz-json-1.0")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
        let answer = try await response.body.collect(upTo: 1 << 20)
        let json = try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
        guard response.status.code == 200, let json else {
            let message = json?["message"] as? String ?? json?["Message"] as? String ?? String(decoding: answer.readableBytesView.prefix(512), as: UTF8.self)
            throw FunctionError("\(endpoint) answered HTTP \(response.status.code): \(message)")
        }
        return json
    }
}
