import ArgumentParser
import Foundation
import Shoal
import ShoalServer

extension TableExport.Format: ExpressibleByArgument {}
extension TableImport.Format: ExpressibleByArgument {}
extension TableImport.OnError: ExpressibleByArgument {}

/// The data directory or the server a transfer command works on.
struct TransferLocation: ParsableArguments {
    @Option(help: "Data directory (read-only for export; not while a server holds it — use --endpoint then).")
    var data = "./shoal-data"

    @Option(help: "A running server instead: Shoal, AWS DynamoDB (https://dynamodb.REGION.amazonaws.com, AWS_* credentials from the environment) or ScyllaDB Alternator.")
    var endpoint: String?

    func open(readOnly: Bool) throws -> (TransferTarget, Database?) {
        if let endpoint { return (.endpoint(endpoint), nil) }
        let database = try Database.open(at: data, options: DatabaseOptions(readOnly: readOnly))
        return (.local(database), database)
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a table in DynamoDB's export-to-S3 layout (or as plain JSON lines).",
        discussion: """
            The dynamodb format writes PATH/AWSDynamoDB/<ExportId>/ with manifest-summary.json, \
            manifest-files.json and data/*.json.gz ({"Item": …} lines): upload PATH to S3 and point AWS's \
            ImportTable (DynamoDB JSON, GZIP) at the data/ prefix, or give it to `shoal import`. The jsonl \
            format writes one plain JSON object per item into the file PATH, for DuckDB or jq.
            """)

    @OptionGroup var location: TransferLocation

    @Option(help: "The table to export.")
    var table: String

    @Option(help: "Where to write: a new or empty folder (dynamodb) or a new file (jsonl).")
    var to: String

    @Option(help: "dynamodb or jsonl.")
    var format: TableExport.Format = .dynamodb

    func run() async throws {
        let (target, database) = try location.open(readOnly: true)
        defer { database?.close() }
        let bar = ProgressBar("export", unit: .items)
        let output = OutputCleanup(to)
        let interrupt = InterruptHandler { output.remove() }
        defer { interrupt.cancel() }
        let (table, to, format) = (table, to, format)
        let summary = try await interrupt.run {
            try await TableExport.run(from: target, table: table, to: to, format: format) { count in
                bar.update(done: count, total: nil)
            }
        }
        bar.finish(done: summary.items, note: " → \(summary.path)")
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import items into a table from DynamoDB's export layout, DynamoDB JSON lines or CSV.",
        discussion: """
            FROM may be an export folder (from `shoal export` or AWS), a folder of data files, or one file; \
            gzip is recognized by its content. DynamoDB JSON lines are {"Item": {...}}; CSV has a header \
            line, key columns typed by the table's key schema and every other column a string. Bad lines \
            are reported as FILE:LINE: reason; --on-error skip goes on, stop (the default) ends the import \
            with every line before the bad one written and none after.
            """)

    @OptionGroup var location: TransferLocation

    @Option(name: .customLong("to-table"), help: "The table to load.")
    var table: String

    @Option(help: "An export folder, a folder of data files, or a file.")
    var from: String

    @Option(help: "auto (by file name), dynamodb or csv.")
    var format: TableImport.Format = .auto

    @Option(name: .customLong("on-error"), help: "skip: report bad lines and go on; stop: report the first and stop.")
    var onError: TableImport.OnError = .stop

    @Flag(name: .customLong("create-table"), help: "Create the table (on-demand) when it does not exist.")
    var createTable = false

    @Option(name: .customLong("partition-key"), help: "With --create-table: name:S, name:N or name:B (default: the key an export recorded).")
    var partitionKey: String?

    @Option(name: .customLong("sort-key"), help: "With --create-table: name:TYPE.")
    var sortKey: String?

    func run() async throws {
        let (target, database) = try location.open(readOnly: false)
        defer { database?.close() }
        var options = TableImport.Options(table: table, source: from)
        options.format = format
        options.onError = onError
        options.createTable = createTable
        options.partitionKey = partitionKey
        options.sortKey = sortKey
        let bar = ProgressBar("import", unit: .items)
        // Ctrl-C between batches loses nothing written; the database closes on exit.
        let interrupt = InterruptHandler { database?.close() }
        defer { interrupt.cancel() }
        let summary = try await TableImport.run(into: target, options, progress: { lines in
            bar.update(done: lines, total: nil)
        }, report: { bad in
            FileHandle.standardError.write(Data("\n\(bad)\n".utf8))
        })
        let note = summary.badLines.isEmpty ? "" : ", \(summary.badLines.count) bad line\(summary.badLines.count == 1 ? "" : "s")"
        bar.finish(done: summary.imported, note: " imported into \(table)\(note)\(summary.stopped ? " (stopped at the first bad line)" : "")")
        if summary.stopped || !summary.badLines.isEmpty { throw ExitCode(summary.stopped ? 1 : 2) }
    }
}
