import Foundation
import NIOCore
import Shoal

/// Shoal's operations on the whole data directory (`X-Amz-Target: ShoalAdmin_20261126.<Operation>`),
/// for `shoal backup` while a server owns the directory. They pass the same authentication as
/// DynamoDB's operations.
struct AdminOperations: Sendable {
    let database: Database

    /// `{"Path": "/absolute/new/dir"}` → `{"Path", "Bytes", "ShardCount", "CreatedAt"}`. The path
    /// must lie under the server's backup root (``ServerConfiguration/backupRoot``).
    func backupDataDirectory(_ r: RequestReader, root: String?) async throws(ProtocolError) -> JSONValue {
        let path = try AdminOperations.backupDestination(try r.requiredString("Path"), root: root)
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
    /// One answer for every refused path, so that a client learns nothing of what exists where.
    static let refusedPath = ProtocolError.validation("Path must be an absolute path under the server's backup root (shoal serve --backup-root), without '.', '..' or symbolic links")

    /// A backup destination a client may name: absolute, without `.`/`..`/empty segments, strictly
    /// under `root`, and with no symbolic link between the root and it (a link could lead anywhere).
    /// The root is created when missing.
    static func backupDestination(_ path: String, root: String?) throws(ProtocolError) -> String {
        guard let root, path.hasPrefix("/"), path.utf8.count <= 4096 else { throw refusedPath }
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), path.hasPrefix(rootPath + "/") else {
            throw refusedPath
        }
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: rootPath, withIntermediateDirectories: true)
        } catch {
            throw .internalError("The backup root \(rootPath) cannot be created: \(error)")
        }
        var current = rootPath
        for segment in path.dropFirst(rootPath.utf8.count + 1).split(separator: "/") {
            current += "/" + segment
            guard let attributes = try? manager.attributesOfItem(atPath: current) else { break }
            guard attributes[.type] as? FileAttributeType != .typeSymbolicLink else { throw refusedPath }
        }
        return path
    }

    /// `{"ShardCount": N}` → `{"From", "To", "Items", "Moved", "Seconds", "PausedSeconds"}`: reshards the served
    /// directory online (requests wait while it runs; see ``DatabaseHost``).
    static func reshardDataDirectory(_ r: RequestReader, host: DatabaseHost) async throws(ProtocolError) -> JSONValue {
        guard let count = try r.int("ShardCount") else { throw .validation("ShardCount is required") }
        let report = try await engineDetached { () async throws(ShoalError) in try await host.reshard(to: count) }
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

extension AdminOperations {
    /// `{}` → `{"Running": N, "Failures": [{"Job", "Message", "Time"}]}`: the background jobs
    /// running and the last failures of background work (restores, backfills, retention, expiry).
    static func describeBackgroundJobs(_ database: Database) -> JSONValue {
        .object([
            ("Running", .number(String(database.backgroundJobsRunning))),
            ("Failures", .array(database.backgroundFailures.map { failure in
                .object([("Job", .string(failure.job)), ("Message", .string(failure.message)),
                         ("Time", .number(String(format: "%.3f", failure.time.timeIntervalSince1970)))])
            })),
        ])
    }
}

extension AdminOperations {
    /// `{}` → `{"Active": Bool, "Done", "Total"}`: the running reshard's items examined (answered
    /// at once, also while requests are held).
    static func describeReshard(host: DatabaseHost) -> JSONValue {
        guard let progress = host.reshardStatus else { return .object([("Active", .bool(false))]) }
        return .object([("Active", .bool(true)), ("Done", .number(String(progress.done))), ("Total", .number(String(progress.total)))])
    }
}

/// The client side: asks a running server to back its data directory up, or to reshard it.
public enum AdminClient {
    /// The file in a data directory where `shoal serve` writes its address while it runs.
    public static let endpointFile = "ENDPOINT"

    /// - Returns: the bytes written.
    public static func backupDataDirectory(endpoint: String, to path: String) async throws -> Int {
        let answer = try await call(endpoint, "BackupDataDirectory", .object([("Path", .string(path))]))
        guard let bytes = answer.member("Bytes")?.doubleValue else { throw TransferError("\(endpoint) answered without Bytes") }
        return Int(bytes)
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
        let answer = try await call(endpoint, "ReshardDataDirectory", .object([("ShardCount", .number(String(shardCount)))]))
        func number(_ name: String) throws -> Double {
            guard let value = answer.member(name)?.doubleValue else { throw TransferError("\(endpoint) answered a reshard report without \(name)") }
            return value
        }
        return ReshardAnswer(from: Int(try number("From")), to: Int(try number("To")), items: Int(try number("Items")),
                             moved: Int(try number("Moved")), seconds: try number("Seconds"), pausedSeconds: try number("PausedSeconds"))
    }

    /// The running reshard's items examined and total (nil when none runs).
    public static func reshardProgress(endpoint: String) async throws -> (done: Int, total: Int)? {
        let answer = try await call(endpoint, "DescribeReshard", .object([]))
        guard let done = answer.member("Done")?.doubleValue, let total = answer.member("Total")?.doubleValue else { return nil }
        return (Int(done), Int(total))
    }

    /// One admin operation, signed with SigV4 from `AWS_*` variables as `shoal export` signs (a
    /// server started with `--auth sigv4` needs it); its JSON answer, or an error with the server's message.
    private static func call(_ endpoint: String, _ operation: String, _ body: JSONValue) async throws -> JSONValue {
        let client = try DynamoDBClient(endpoint: endpoint)
        let (status, answer) = try await client.send(target: OperationDispatcher.adminTargetPrefix + operation, JSONWriter.encode(body),
                                                     timeout: .hours(24))
        guard status == 200 else {
            let message = answer.member("message")?.stringValue ?? answer.member("Message")?.stringValue ?? "HTTP \(status)"
            throw TransferError("\(endpoint) answered HTTP \(status): \(message)")
        }
        return answer
    }
}
