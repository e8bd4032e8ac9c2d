import CompressNIO
import Crypto
import Foundation
import NIOCore

/// Writes DynamoDB's export-to-S3 layout into a local folder, as
/// `PATH/AWSDynamoDB/<ExportId>/`: `_started`, `data/<name>.json.gz` (one `{"Item":{…}}` line per
/// item, DynamoDB JSON), `manifest-files.json` (one line per data file: `itemCount`,
/// `md5Checksum`, `etag`, `dataFileS3Key`), `manifest-summary.json` and the two `.checksum`
/// files. Copied to S3 as is (`aws s3 cp --recursive PATH s3://bucket/prefix/`), AWS's
/// ImportTable loads it from the `data/` prefix. Beside them, `shoal-table.json` keeps the
/// table's key schema so `shoal import --create-table` can recreate the table.
final class ExportWriter {
    let exportID: String
    let folder: String
    private let dataFolder: String
    private var buffer: [UInt8] = []
    private var bufferedItems = 0
    private var files: [(key: String, items: Int, md5: [UInt8])] = []
    private(set) var itemCount = 0
    private(set) var billedBytes = 0
    private let started = Date()
    /// Items per data file; DynamoDB writes many files too.
    static let itemsPerFile = 100_000
    static let bytesPerFile = 64 << 20

    init(root: String) throws {
        let millis = Int(Date().timeIntervalSince1970 * 1000)
        exportID = String(millis).leftPadded(14) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(8)
        folder = root + "/AWSDynamoDB/" + exportID
        dataFolder = folder + "/data"
        try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/_started", contents: Data())
    }

    /// Adds one item, given as its DynamoDB JSON (`{"pk":{"S":"a"},…}`).
    func add(itemJSON: [UInt8], size: Int) throws {
        buffer.append(contentsOf: Array(#"{"Item":"#.utf8))
        buffer.append(contentsOf: itemJSON)
        buffer.append(contentsOf: Array("}\n".utf8))
        bufferedItems += 1
        itemCount += 1
        billedBytes += size
        if bufferedItems >= ExportWriter.itemsPerFile || buffer.count >= ExportWriter.bytesPerFile { try flush() }
    }

    private func flush() throws {
        guard bufferedItems > 0 else { return }
        var input = ByteBuffer(bytes: buffer)
        // Level 1: an export of 300 K fixture-like items took 2.0 s instead of 2.7 s, for files 28 % larger.
        let compressed = Array(try input.compress(with: .gzip(configuration: ZlibConfiguration(compressionLevel: 1))).readableBytesView)
        let name = ExportWriter.fileName() + ".json.gz"
        try Data(compressed).write(to: URL(fileURLWithPath: dataFolder + "/" + name))
        files.append(("AWSDynamoDB/\(exportID)/data/\(name)", bufferedItems, Array(Insecure.MD5.hash(data: compressed))))
        buffer.removeAll(keepingCapacity: true)
        bufferedItems = 0
    }

    /// Writes the manifests. - Returns: the export's folder.
    func finish(tableArn: String, tableID: String, tableDescription: JSONValue?) throws -> String {
        try flush()
        var manifest: [UInt8] = []
        for file in files {
            manifest += JSONWriter.encode(.object([
                ("itemCount", .number(String(file.items))),
                ("md5Checksum", .string(Data(file.md5).base64EncodedString())),
                ("etag", .string(ExportWriter.hex(file.md5))),
                ("dataFileS3Key", .string(file.key)),
            ]))
            manifest.append(0x0A)
        }
        try write(manifest, "manifest-files")
        let summary = JSONWriter.encode(.object([
            ("version", .string("2020-06-30")),
            ("exportArn", .string(tableArn + "/export/" + exportID)),
            ("startTime", .string(ExportWriter.iso(started))),
            ("endTime", .string(ExportWriter.iso(Date()))),
            ("tableArn", .string(tableArn)),
            ("tableId", .string(tableID)),
            ("exportTime", .string(ExportWriter.iso(started))),
            ("s3Bucket", .null),
            ("s3Prefix", .null),
            ("s3SseAlgorithm", .null),
            ("s3SseKmsKeyId", .null),
            ("manifestFilesS3Key", .string("AWSDynamoDB/\(exportID)/manifest-files.json")),
            ("billedSizeBytes", .number(String(billedBytes))),
            ("itemCount", .number(String(itemCount))),
            ("outputFormat", .string("DYNAMODB_JSON")),
            ("exportType", .string("FULL_EXPORT")),
        ]))
        try write(summary, "manifest-summary")
        if let tableDescription {
            try Data(JSONWriter.encode(tableDescription)).write(to: URL(fileURLWithPath: folder + "/" + ExportWriter.tableFile))
        }
        return folder
    }

    static let tableFile = "shoal-table.json"

    private func write(_ bytes: [UInt8], _ name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name + ".json"))
        try Data(ExportWriter.hex(Array(Insecure.MD5.hash(data: bytes))).utf8).write(to: URL(fileURLWithPath: folder + "/" + name + ".checksum"))
    }

    private static func fileName() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return String((0..<26).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
