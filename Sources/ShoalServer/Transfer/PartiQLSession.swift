import Foundation
import Shoal

/// What `shoal partiql` runs statements through: a data directory opened in this process, or a
/// server (Shoal, DynamoDB, Alternator) over ExecuteStatement. Pages come back as items in
/// DynamoDB's JSON, which the command prints as lines of JSON or as a table.
public struct PartiQLSession: Sendable {
    private let target: TransferTarget
    private let client: DynamoDBClient?

    public init(_ target: TransferTarget) throws {
        self.target = target
        if case .endpoint(let url) = target { client = try DynamoDBClient(endpoint: url) } else { client = nil }
    }

    /// One page of a statement's result.
    public struct Page: Sendable {
        /// Each item as DynamoDB JSON text (`{"name":{"S":"x"}}`).
        public var items: [String]
        fileprivate var values: [JSONValue]
        public var nextToken: String?
        /// The projection's names, in the order the statement lists them (nil for `SELECT *`).
        public var columns: [String]?
    }

    /// Runs `statement` (one page of it: pass the page's `nextToken` back for the next).
    /// - Parameter parameters: a JSON array of DynamoDB JSON values (`[{"S":"x"},{"N":"1"}]`), or nil.
    public func execute(_ statement: String, parameters: String?, nextToken: String?) async throws -> Page {
        var body: [(String, JSONValue)] = [("Statement", .string(statement))]
        if let parameters {
            let parsed: JSONValue
            do {
                parsed = try JSONParser.parse(Array(parameters.utf8))
            } catch {
                throw TransferError("--parameters is not valid JSON: \(error)")
            }
            guard case .array = parsed else { throw TransferError("--parameters must be a JSON array of DynamoDB JSON values") }
            body.append(("Parameters", parsed))
        }
        if let nextToken { body.append(("NextToken", .string(nextToken))) }
        let response: JSONValue
        if let client {
            response = try await client.call("ExecuteStatement", .object(body))
        } else if case .local(let database) = target {
            let dispatcher = OperationDispatcher(database: database)
            do {
                response = try await dispatcher.dispatch("ExecuteStatement", body: .object(body),
                                                         context: OperationContext(region: "local", endpoint: "local"))
            } catch {
                throw TransferError("\(error.type.split(separator: "#").last ?? ""): \(error.message)")
            }
        } else {
            throw TransferError("no target")
        }
        var values: [JSONValue] = []
        if case .array(let list)? = response["Items"] { values = list }
        var token: String?
        if case .string(let t)? = response["NextToken"] { token = t }
        return Page(items: values.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) }, values: values, nextToken: token,
                    columns: PartiQLStatementInfo.columns(of: statement))
    }

    /// The page as a text table: one column per attribute (the statement's projection order, then
    /// any other in first-seen order),
    /// strings and numbers shown plainly, anything else as its DynamoDB JSON.
    public static func table(_ page: Page) -> String {
        var columns: [String] = page.columns ?? []
        var rows: [[String: String]] = []
        for value in page.values {
            var row: [String: String] = [:]
            let members: [(String, JSONValue)]
            switch value {
            case .object(let m): members = m
            case .item(let item): members = item.map { ($0.key.description, AttributeValueJSON.encode($0.value)) }
            default: members = []
            }
            for (name, attribute) in members {
                if !columns.contains(name) { columns.append(name) }
                row[name] = cell(attribute)
            }
            rows.append(row)
        }
        columns = columns.filter { column in rows.contains { $0[column] != nil } }
        guard !columns.isEmpty else { return "(\(page.values.count) item\(page.values.count == 1 ? "" : "s"))" }
        let widths = columns.map { column in min(40, max(column.count, rows.map { ($0[column] ?? "").count }.max() ?? 0)) }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { text, width in
                let shown = text.count > width ? String(text.prefix(width - 1)) + "…" : text
                return shown + String(repeating: " ", count: width - shown.count)
            }.joined(separator: " | ")
        }
        var out = [line(columns), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")]
        out += rows.map { row in line(columns.map { row[$0] ?? "" }) }
        out.append("(\(rows.count) item\(rows.count == 1 ? "" : "s"))")
        return out.joined(separator: "\n")
    }

    private static func cell(_ value: JSONValue) -> String {
        if case .object(let members) = value, members.count == 1 {
            switch (members[0].0, members[0].1) {
            case ("S", .string(let s)), ("N", .string(let s)): return s
            case ("BOOL", .bool(let b)): return b ? "true" : "false"
            case ("NULL", _): return "NULL"
            default: break
            }
        }
        return String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }

    /// Splits a script into statements at `;` outside quotes and comments.
    public static func statements(in script: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quote: Character?
        let iterator = Array(script)
        var i = 0
        while i < iterator.count {
            let c = iterator[i]
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == "-", i + 1 < iterator.count, iterator[i + 1] == "-" {
                while i < iterator.count, iterator[i] != "\n" { i += 1 }
                continue
            } else if c == ";" {
                let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { result.append(trimmed) }
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { result.append(trimmed) }
        return result
    }
}
