import Foundation
import Shoal

/// Where an export reads or an import writes: an open data directory, or a running server
/// (Shoal, AWS DynamoDB, ScyllaDB Alternator) through the public API.
public enum TransferTarget: Sendable {
    case local(Database)
    case endpoint(String)
}

/// `shoal export`.
public enum TableExport {
    public enum Format: String, Sendable, CaseIterable {
        /// DynamoDB's export-to-S3 layout with gzipped `{"Item":…}` lines.
        case dynamodb
        /// One plain JSON object per line (`{"pk":"a","n":1.5}`): for DuckDB, jq and the like.
        /// Lossy: sets become arrays, binary becomes base64 text, numbers lose nothing but their type.
        case jsonl
    }

    public struct Summary: Sendable {
        public var items: Int
        /// The export's folder (dynamodb) or file (jsonl).
        public var path: String
    }

    /// Exports every item of `table` into `destination` (a new or empty folder; for `jsonl`, a file).
    /// A local export reads one consistent view of every shard; a remote one pages through Scan.
    public static func run(from source: TransferTarget, table: String, to destination: String, format: Format,
                           progress: (@Sendable (Int) -> Void)? = nil) async throws -> Summary {
        // The table first: a missing one leaves no files behind.
        let client: DynamoDBClient?
        let tableInfo: JSONValue
        switch source {
        case .local(let database):
            client = nil
            tableInfo = ResponseJSON.tableDescription(try database.describeTable(table).table, region: database.options.region)
        case .endpoint(let endpoint):
            client = try DynamoDBClient(endpoint: endpoint)
            tableInfo = try await client!.call("DescribeTable", .object([("TableName", .string(table))])).member("Table") ?? .object([])
        }
        let sink: any ItemSink = format == .dynamodb ? try LayoutSink(root: destination) : try LinesSink(path: destination)
        var count = 0
        do {
            if case .local(let database) = source {
                try database.forEachItem(tableName: table) { item in
                    try sink.add(item)
                    count += 1
                    if count % 1_000 == 0 { try Task.checkCancellation() }
                    if count % 10_000 == 0 { progress?(count) }
                }
            } else if let client {
                var start: JSONValue?
                repeat {
                    try Task.checkCancellation()
                    var request: [(String, JSONValue)] = [("TableName", .string(table))]
                    if let start { request.append(("ExclusiveStartKey", start)) }
                    let page = try await client.call("Scan", .object(request))
                    guard case .array(let items)? = page.member("Items") else { throw TransferError("Scan answered without Items") }
                    for json in items {
                        try sink.add(try AttributeValueJSON.decodeItem(json, field: "Items"))
                        count += 1
                    }
                    progress?(count)
                    start = page.member("LastEvaluatedKey")
                } while start != nil
            }
        } catch {
            sink.abandon()
            throw error
        }
        let path = try sink.finish(table: tableInfo)
        progress?(count)
        return Summary(items: count, path: path)
    }
}

/// Receives the exported items.
protocol ItemSink {
    func add(_ item: Item) throws
    /// Removes what a failed export wrote.
    func abandon()
    /// - Returns: where the export is.
    func finish(table: JSONValue) throws -> String
}

/// DynamoDB's layout (see ``ExportWriter``).
final class LayoutSink: ItemSink {
    private let writer: ExportWriter

    init(root: String) throws {
        try TransferFiles.requireEmptyFolder(root)
        writer = try ExportWriter(root: root)
    }

    func abandon() { try? FileManager.default.removeItem(atPath: writer.folder) }

    func add(_ item: Item) throws {
        let json = JSONWriter.encode(AttributeValueJSON.encode(item))
        try writer.add(itemJSON: json, size: json.count)
    }

    func finish(table: JSONValue) throws -> String {
        try writer.finish(tableArn: table.member("TableArn")?.stringValue ?? "",
                          tableID: table.member("TableId")?.stringValue ?? "", tableDescription: ExportWriter.recordedTable(table))
    }
}

/// Plain JSON lines in one file.
final class LinesSink: ItemSink {
    private let path: String
    private let file: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw TransferError("\(path) exists: an export writes a new file") }
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw TransferError("cannot create \(path)") }
        self.path = path
        file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    func abandon() {
        try? file.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    func add(_ item: Item) throws {
        buffer += JSONWriter.encode(PlainJSON.encode(item))
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 {
            try file.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    func finish(table: JSONValue) throws -> String {
        try file.write(contentsOf: buffer)
        try file.synchronize()
        try file.close()
        return path
    }
}

/// Attribute values as plain JSON: strings, numbers (their exact digits), booleans, null,
/// objects and arrays; sets as arrays, binary as base64 strings.
enum PlainJSON {
    static func encode(_ item: Item) -> JSONValue {
        .object(item.sorted { $0.key.string < $1.key.string }.map { ($0.key.string, encode($0.value)) })
    }

    static func encode(_ value: AttributeValue) -> JSONValue {
        switch value {
        case .s(let s): return .string(s)
        case .n(let n): return .number(n.description)
        case .b(let b): return .string(Data(b).base64EncodedString())
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .m(let m): return encode(m)
        case .l(let l): return .array(l.map(encode))
        case .ss(let v): return .array(v.map { .string($0) })
        case .ns(let v): return .array(v.map { .number($0.description) })
        case .bs(let v): return .array(v.map { .string(Data($0).base64EncodedString()) })
        }
    }
}

enum TransferFiles {
    static func requireEmptyFolder(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty else {
                throw TransferError("\(path) is not an empty folder: an export goes into a new or empty folder")
            }
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
}
