import Foundation
import Shoal

/// `shoal import`: loads DynamoDB's export layout (gzipped or plain), DynamoDB JSON lines
/// (`{"Item":{…}}`, as AWS's ImportTable reads them) or CSV (a header line, then values; key
/// attributes typed by the table's key schema, every other value a string, as AWS's CSV import).
public enum TableImport {
    public enum Format: String, Sendable, CaseIterable {
        /// By the files: `.csv` / `.csv.gz` are CSV, everything else DynamoDB JSON.
        case auto
        case dynamodb
        case csv
    }

    public enum OnError: String, Sendable, CaseIterable {
        /// Report a bad line and go on.
        case skip
        /// Report a bad line and stop: every line before it is written, none after.
        case stop
    }

    public struct Options: Sendable {
        public var table: String
        public var source: String
        public var format: Format = .auto
        public var onError: OnError = .stop
        /// Create the table when it does not exist, with `partitionKey` / `sortKey` (`name:S|N|B`)
        /// or the key schema an export by `shoal export` recorded.
        public var createTable = false
        public var partitionKey: String?
        public var sortKey: String?

        public init(table: String, source: String) {
            self.table = table
            self.source = source
        }
    }

    /// A line that was not imported.
    public struct BadLine: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public struct Summary: Sendable {
        public var imported: Int
        public var badLines: [BadLine]
        /// True when the import stopped at a bad line (`OnError.stop`).
        public var stopped: Bool
    }

    /// Imports `options.source` into `options.table` on `target`. `progress` gets the lines read
    /// so far; `report` each bad line as it is found.
    public static func run(into target: TransferTarget, _ options: Options, progress: (@Sendable (Int) -> Void)? = nil,
                           report: (@Sendable (BadLine) -> Void)? = nil) async throws -> Summary {
        let client: any TransferClient = switch target {
        case .local(let database): LocalClient(database: database)
        case .endpoint(let endpoint): try DynamoDBClient(endpoint: endpoint)
        }
        let inputs = try ImportInputs.find(options.source)
        guard !inputs.files.isEmpty else { throw TransferError("no data files found in \(options.source)") }
        let keys = try await prepareTable(client, options, recorded: inputs.recordedTable)
        let writer = ImportBatcher(client: client, table: options.table, keys: keys, onError: options.onError, report: report)
        let files = inputs.files.map { (name: $0, path: $0, csv: options.format == .csv || (options.format == .auto && ImportInputs.isCSV($0))) }
        _ = try await load(files, keys: keys, into: writer, progress: progress)
        return Summary(imported: writer.imported, badLines: writer.badLines, stopped: writer.stopped)
    }

    /// Reads `files` line by line (gunzipped or zstd-decompressed as their first bytes say),
    /// parses each line as DynamoDB JSON or CSV, checks its key and hands it to `writer`, which
    /// writes in batches and keeps the bad lines (``BadLine`` names the file by `name`). This is
    /// the one reading loop of `shoal import` and of ImportTable's jobs.
    /// - Parameters:
    ///   - header: CSV columns for every file (their first lines are data then); nil: each file's first line.
    ///   - delimiter: CSV's field separator.
    /// - Returns: the data lines read (blank lines and CSV headers aside).
    static func load(_ files: [(name: String, path: String, csv: Bool)], header fixed: [String]? = nil, delimiter: UInt8 = 0x2C,
                     keys: TableKeys, into writer: ImportBatcher, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        var lines = 0
        outer: for file in files {
            try Task.checkCancellation()
            let reader: LineReader
            do {
                reader = try LineReader(path: file.path)
            } catch {
                if try await writer.bad(BadLine(file: file.name, line: 0, message: "cannot read it: \(error)")) { break outer }
                continue
            }
            var header = file.csv ? fixed : nil
            while true {
                let line: [UInt8]
                do {
                    guard let next = try reader.next() else { break }
                    line = next
                } catch {
                    if try await writer.bad(BadLine(file: file.name, line: reader.lineNumber + 1, message: "\(error)")) { break outer }
                    break
                }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let parsed: Result<Item, TransferError>
                if file.csv {
                    guard let columns = header else {
                        header = CSV.fields(line, delimiter: delimiter).map { $0.trimmingCharacters(in: .whitespaces) }
                        continue
                    }
                    parsed = Result { () throws(TransferError) -> Item in try CSV.item(line, header: columns, keys: keys, delimiter: delimiter) }
                } else {
                    parsed = Result { () throws(TransferError) -> Item in try DynamoDBJSONLine.item(line) }
                }
                lines += 1
                if lines % 10_000 == 0 { progress?(lines) }
                switch parsed {
                case .success(let item):
                    if let problem = keys.problem(with: item) {
                        if try await writer.bad(BadLine(file: file.name, line: reader.lineNumber, message: problem)) { break outer }
                    } else if try await writer.add(item, file: file.name, line: reader.lineNumber) {
                        break outer
                    }
                case .failure(let error):
                    if try await writer.bad(BadLine(file: file.name, line: reader.lineNumber, message: error.description)) { break outer }
                }
            }
        }
        try await writer.flush()
        progress?(lines)
        return lines
    }

    /// Finds the table's key schema, creating the table first when asked.
    private static func prepareTable(_ client: any TransferClient, _ options: Options, recorded: JSONValue?) async throws -> TableKeys {
        do {
            let table = try await client.call("DescribeTable", .object([("TableName", .string(options.table))]))
            return try TableKeys(description: table.member("Table") ?? .object([]))
        } catch let error as DynamoDBClient.ServiceError where error.type == "ResourceNotFoundException" {
            guard options.createTable else {
                throw TransferError("table \(options.table) does not exist: create it first, or pass --create-table")
            }
        }
        var keySchema: [(String, JSONValue)] = []
        var definitions: [JSONValue] = []
        var indexMembers: [(String, JSONValue)] = []
        if let partition = options.partitionKey {
            for (role, spec) in [("HASH", partition), ("RANGE", options.sortKey)] {
                guard let spec else { continue }
                let parts = spec.split(separator: ":")
                guard parts.count == 2, ["S", "N", "B"].contains(parts[1].uppercased()) else {
                    throw TransferError("a key is name:S, name:N or name:B, not \(spec)")
                }
                keySchema.append(("", .object([("AttributeName", .string(String(parts[0]))), ("KeyType", .string(role))])))
                definitions.append(.object([("AttributeName", .string(String(parts[0]))), ("AttributeType", .string(parts[1].uppercased()))]))
            }
        } else if let recorded, case .array(let schema)? = recorded.member("KeySchema"), case .array(let attributes)? = recorded.member("AttributeDefinitions") {
            // The recorded table's key and indexes.
            var keyNames = Set(schema.compactMap { $0.member("AttributeName")?.stringValue })
            keySchema = schema.map { ("", $0) }
            for name in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
                guard case .array(let list)? = recorded.member(name) else { continue }
                let indexes: [JSONValue] = list.compactMap { index in
                    guard let indexName = index.member("IndexName"), let schema = index.member("KeySchema"),
                          let projection = index.member("Projection") else { return nil }
                    if case .array(let elements) = schema {
                        for element in elements { if let key = element.member("AttributeName")?.stringValue { keyNames.insert(key) } }
                    }
                    return .object([("IndexName", indexName), ("KeySchema", schema), ("Projection", projection)])
                }
                if !indexes.isEmpty { indexMembers.append((name, .array(indexes))) }
            }
            definitions = attributes.filter { keyNames.contains($0.member("AttributeName")?.stringValue ?? "") }
        } else {
            throw TransferError("to create \(options.table), give its key: --partition-key name:TYPE [--sort-key name:TYPE]")
        }
        _ = try await client.call("CreateTable", .object([
            ("TableName", .string(options.table)),
            ("KeySchema", .array(keySchema.map(\.1))),
            ("AttributeDefinitions", .array(definitions)),
            ("BillingMode", .string("PAY_PER_REQUEST")),
        ] + indexMembers))
        for _ in 0..<600 {
            let table = try await client.call("DescribeTable", .object([("TableName", .string(options.table))]))
            if table.member("Table")?.member("TableStatus")?.stringValue == "ACTIVE" {
                return try TableKeys(description: table.member("Table") ?? .object([]))
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw TransferError("table \(options.table) did not become ACTIVE")
    }
}

/// The table's key attributes and their types, to check and type imported items.
struct TableKeys: Sendable {
    var names: [String]
    var types: [String: String]

    init(description: JSONValue) throws {
        guard case .array(let schema)? = description.member("KeySchema"), case .array(let attributes)? = description.member("AttributeDefinitions") else {
            throw TransferError("DescribeTable answered without a key schema")
        }
        names = schema.compactMap { $0.member("AttributeName")?.stringValue }
        var types: [String: String] = [:]
        for attribute in attributes {
            if let name = attribute.member("AttributeName")?.stringValue, let type = attribute.member("AttributeType")?.stringValue { types[name] = type }
        }
        self.types = types
    }

    /// What is wrong with an item's key, if anything.
    func problem(with item: Item) -> String? {
        for name in names {
            guard let value = item[name] else { return "the item has no key attribute \(name)" }
            let type = types[name] ?? "S"
            let matches = switch value {
            case .s: type == "S"
            case .n: type == "N"
            case .b: type == "B"
            default: false
            }
            if !matches { return "key attribute \(name) must be of type \(type)" }
        }
        return nil
    }

    /// The key of an item as a comparable string (to keep two writes of one key out of a batch).
    func identity(of item: Item) -> String {
        var identity = ""
        for name in names {
            switch item[name] {
            case .s(let s)?: identity += "S" + s
            case .n(let n)?: identity += "N" + n.description
            case .b(let b)?: identity += "B" + Data(b).base64EncodedString()
            default: break
            }
            identity += "\u{0}"
        }
        return identity
    }
}

/// The data files of an import source and the table an export recorded.
struct ImportInputs {
    var files: [String]
    var recordedTable: JSONValue?

    static func isCSV(_ path: String) -> Bool { path.hasSuffix(".csv") || path.hasSuffix(".csv.gz") }

    /// A file; a folder of an export (its `AWSDynamoDB/<id>/`, or a folder holding one, or its
    /// `data/`); or a folder of data files (`.json`, `.json.gz`, `.jsonl`, `.csv`, `.csv.gz`, …).
    static func find(_ source: String) throws -> ImportInputs {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { throw TransferError("\(source) does not exist") }
        guard isDirectory.boolValue else { return ImportInputs(files: [source]) }
        if let exportFolder = exportFolder(source) {
            let manifest = try String(contentsOfFile: exportFolder + "/manifest-files.json", encoding: .utf8)
            var files: [String] = []
            for line in manifest.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let entry = try? JSONParser.parse(Array(line.utf8)), let key = entry.member("dataFileS3Key")?.stringValue,
                      let name = key.split(separator: "/").last else {
                    throw TransferError("\(exportFolder)/manifest-files.json: a line is not a manifest entry")
                }
                files.append(exportFolder + "/data/" + name)
            }
            let recorded = (try? Data(contentsOf: URL(fileURLWithPath: exportFolder + "/" + ExportWriter.tableFile)))
                .flatMap { try? JSONParser.parse(Array($0)) }
            return ImportInputs(files: files, recordedTable: recorded)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            .filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") && !$0.hasPrefix("manifest-") && !$0.hasSuffix(".checksum") && $0 != ExportWriter.tableFile }
        return ImportInputs(files: names.map { source + "/" + $0 }.filter {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &folder) && !folder.boolValue
        })
    }

    private static func exportFolder(_ source: String) -> String? {
        let manager = FileManager.default
        if manager.fileExists(atPath: source + "/manifest-files.json") { return source }
        if source.hasSuffix("/data") || source.hasSuffix("/data/"), manager.fileExists(atPath: source + "/../manifest-files.json") {
            return source + "/.."
        }
        let root = source + "/AWSDynamoDB"
        let exports = ((try? manager.contentsOfDirectory(atPath: root)) ?? []).filter { manager.fileExists(atPath: root + "/" + $0 + "/manifest-files.json") }
        return exports.count == 1 ? root + "/" + exports[0] : nil
    }
}

/// One line of DynamoDB JSON: `{"Item":{"pk":{"S":"a"},…}}`.
enum DynamoDBJSONLine {
    static func item(_ line: [UInt8]) throws(TransferError) -> Item {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            throw TransferError("not valid JSON: \(error)")
        }
        guard case .object(let members) = json else { throw TransferError("expected a JSON object with an Item") }
        guard members.count == 1, members[0].0 == "Item" else {
            throw TransferError("expected {\"Item\": {...}}, found members \(members.map(\.0).joined(separator: ", "))")
        }
        do {
            return try AttributeValueJSON.decodeItem(members[0].1, field: "Item")
        } catch {
            throw TransferError(error.message)
        }
    }
}

/// RFC 4180 CSV lines (quoted fields with `""` escapes; a quoted field may not span lines here).
enum CSV {
    static func fields(_ line: [UInt8], delimiter: UInt8 = 0x2C) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var index = 0
        while index < line.count {
            let byte = line[index]
            if quoted {
                if byte == 0x22 {
                    if index + 1 < line.count, line[index + 1] == 0x22 {
                        current.append(0x22)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(byte)
                }
            } else if byte == 0x22 && current.isEmpty {
                quoted = true
            } else if byte == delimiter {
                fields.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(byte)
            }
            index += 1
        }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }

    static func item(_ line: [UInt8], header: [String], keys: TableKeys, delimiter: UInt8 = 0x2C) throws(TransferError) -> Item {
        let values = fields(line, delimiter: delimiter)
        guard values.count == header.count else {
            throw TransferError("\(values.count) values for \(header.count) columns")
        }
        var item = Item()
        for (name, text) in zip(header, values) where !text.isEmpty {
            switch keys.names.contains(name) ? keys.types[name] ?? "S" : "S" {
            case "N":
                guard let number = try? Number(text) else { throw TransferError("\(name): \(text) is not a number") }
                item[name] = .n(number)
            case "B":
                guard let bytes = Data(base64Encoded: text) else { throw TransferError("\(name): \(text) is not base64") }
                item[name] = .b(Array(bytes))
            default:
                item[name] = .s(text)
            }
        }
        return item
    }
}
