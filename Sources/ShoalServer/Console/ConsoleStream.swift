import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Shoal
import Synchronization

/// The console's live view of a table's stream: `GET {base}/console/api/stream?table=T` answers
/// Server-Sent Events fed by the embedded ``Database/changes(table:from:batchSize:)``
/// subscription, from the latest record on. Every quarter of a second it sends what arrived:
/// at most ``perFlush`` records, sampled evenly when more came, with the count of all of them,
/// so a page keeps up with thousands of records a second and says when it sees a sample. A
/// comment every 15 quiet seconds keeps proxies from closing it. It ends when the page goes
/// away (a write fails), when the stream ends (the table's stream is disabled, the database
/// closes for a reshard or a rollback) and when the server shuts down.
final class ConsoleStream: Sendable {
    /// The most streams open at once (a page holds one).
    static let maxOpen = 16
    static let perFlush = 100
    static let flushInterval = Duration.milliseconds(250)

    private let open = Mutex(0)

    private struct Pending {
        var kept: [(index: Int, record: StreamRecord)] = []
        var seen = 0
        var ended: String?
    }

    func serve(_ request: Request, host: DatabaseHost, handler: DynamoDBRequestHandler, configuration: ServerConfiguration,
               principal: Principal?) async -> Response {
        guard let table = request.uri.queryParameters["table"].map(String.init), !table.isEmpty, table.utf8.count <= 255 else {
            return ConsoleAPI.failure(.badRequest, "Name the table to watch: stream?table=NAME")
        }
        let endpoint = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let streamArn: String
        do throws(ProtocolError) {
            // Described as the session's key would describe it (its policies decide).
            let description = try await handler.run("DescribeTable", json: .object([("TableName", .string(table))]), target: nil,
                                                    region: configuration.defaultRegion, endpoint: endpoint, principal: principal)
            guard let arn = description.member("Table")?.member("LatestStreamArn")?.stringValue,
                  description.member("Table")?.member("StreamSpecification")?.member("StreamEnabled") == .bool(true) else {
                return ConsoleAPI.failure(.badRequest, "Table \(table) has no stream enabled: turn one on (UpdateTable with a StreamSpecification) to watch its changes")
            }
            streamArn = arn
            if let principal {
                try RequestAuthorization.check([.init(action: "dynamodb:GetRecords", resource: streamArn)], principal: principal,
                                               database: host.current, policies: handler.policies)
            }
        } catch {
            return ConsoleAPI.failure(HTTPResponse.Status(code: error.status), error.message)
        }
        let admitted = open.withLock { count in
            guard count < ConsoleStream.maxOpen else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return ConsoleAPI.failure(.tooManyRequests, "\(ConsoleStream.maxOpen) live streams are open already: close one")
        }
        var headers = ConsoleRoutes.secured(HTTPFields())
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let region = configuration.defaultRegion
        let database = host.current
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            defer { open.withLock { $0 -= 1 } }
            let pending = Mutex(Pending())
            let changes = database.changes(table: table, from: .latest, batchSize: 1000)
            let producer = Task {
                do {
                    for try await batch in changes {
                        pending.withLock { state in
                            var generator = SystemRandomNumberGenerator()
                            for record in batch {
                                // Reservoir sampling keeps an even sample of the quarter second.
                                if state.kept.count < ConsoleStream.perFlush {
                                    state.kept.append((state.seen, record))
                                } else {
                                    let slot = Int.random(in: 0...state.seen, using: &generator)
                                    if slot < ConsoleStream.perFlush { state.kept[slot] = (state.seen, record) }
                                }
                                state.seen += 1
                            }
                        }
                    }
                    pending.withLock { $0.ended = "The stream ended (disabled, or the database closed for a reshard or a rollback)" }
                } catch {
                    pending.withLock { $0.ended = "The stream failed: \(error)" }
                }
            }
            defer { producer.cancel() }
            let stopping = Mutex(false)
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(string: "event: ready\ndata: {\"StreamArn\":\(ConsoleStream.quoted(streamArn))}\n\n"))
                var quietFlushes = 0
                while !stopping.withLock({ $0 }) && !Task.isCancelled {
                    try await Task.sleep(for: ConsoleStream.flushInterval)
                    let taken = pending.withLock { state -> Pending in
                        defer { state.kept = []; state.seen = 0 }
                        return state
                    }
                    if taken.seen > 0 {
                        let records = taken.kept.sorted { $0.index < $1.index }.map { StreamOperations.record($0.record, region: region) }
                        let event = JSONValue.object([("Records", .array(records)), ("Seen", .number(String(taken.seen)))])
                        try await writer.write(ByteBuffer(string: "event: records\ndata: " + String(decoding: JSONWriter.encode(event), as: UTF8.self) + "\n\n"))
                        quietFlushes = 0
                    } else {
                        quietFlushes += 1
                        if quietFlushes >= 60 {
                            try await writer.write(ByteBuffer(string: ": still here\n\n"))
                            quietFlushes = 0
                        }
                    }
                    if let reason = taken.ended {
                        try await writer.write(ByteBuffer(string: "event: end\ndata: {\"Reason\":\(ConsoleStream.quoted(reason))}\n\n"))
                        break
                    }
                }
            } onGracefulShutdown: {
                stopping.withLock { $0 = true }
            }
            try await writer.finish(nil)
        })
    }

    static func quoted(_ text: String) -> String {
        String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
    }
}
