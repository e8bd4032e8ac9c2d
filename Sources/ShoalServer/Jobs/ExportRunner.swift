import Foundation
import Shoal

/// Runs one export job: the table's items at the export time (a full export) or its changes over
/// the span (an incremental export), read from the table's point-in-time recovery log in one view
/// of every shard, written in DynamoDB's export layout under the job's S3 location.
struct ExportRunner {
    let jobs: TransferJobs
    let job: ExportJob

    func run() async {
        var finished = job
        do {
            let location = try S3Location(root: jobs.s3Root, bucket: job.s3Bucket, prefix: job.s3Prefix, field: "s3Bucket")
            let job = self.job
            let (count, billed, manifest) = try await jobs.withDatabase { database in
                try await BlockingWork.run { try ExportRunner.write(database, job, location) }
            }
            finished.status = .completed
            finished.itemCount = count
            finished.billedSizeBytes = billed
            finished.manifest = manifest
        } catch is CancellationError {
            return
        } catch {
            finished.status = .failed
            (finished.failureCode, finished.failureMessage) = TransferFailure.describe(error)
            jobs.logger.error("export \(job.arn) failed: \(finished.failureMessage ?? "")")
        }
        finished.endTime = Date().timeIntervalSince1970
        do {
            try jobs.save(finished)
        } catch {
            jobs.logger.error("export \(job.arn): cannot record its end: \(error)")
        }
    }

    /// Writes the export. - Returns: its item count, billed bytes and summary manifest key.
    static func write(_ database: Database, _ job: ExportJob, _ location: S3Location) throws -> (Int, Int, String) {
        let ion = job.format == "ION"
        try FileManager.default.createDirectory(atPath: location.folder, withIntermediateDirectories: true)
        let writer = try ExportWriter(root: location.folder, exportID: job.id, dataExtension: ion ? ".ion.gz" : ".json.gz")
        var summary = ExportWriter.Summary(exportArn: job.arn, s3Bucket: job.s3Bucket, s3Prefix: job.s3Prefix,
                                           outputFormat: job.format, exportType: job.type)
        if job.type == "INCREMENTAL_EXPORT", let from = job.exportFrom, let to = job.exportTo {
            let view = job.exportView ?? "NEW_AND_OLD_IMAGES"
            summary.incremental = (Date(timeIntervalSince1970: from), Date(timeIntervalSince1970: to), view)
            try writeChanges(database, job, from: from, to: to, view: view, ion: ion, into: writer)
        } else {
            let instant = Date(timeIntervalSince1970: job.exportTime ?? job.startTime)
            summary.exportTime = instant
            try writeItems(database, job, at: instant, ion: ion, into: writer)
        }
        let table = try database.describeTable(job.tableName).table
        let described = ResponseJSON.tableDescription(table, region: database.options.region)
        _ = try writer.finish(tableArn: job.tableArn, tableID: job.tableID, tableDescription: ExportWriter.recordedTable(described), summary: summary)
        return (writer.itemCount, writer.billedBytes, writer.manifestKey("manifest-summary.json", prefix: job.s3Prefix))
    }

    private static func writeChanges(_ database: Database, _ job: ExportJob, from: Double, to: Double, view: String, ion: Bool,
                                     into writer: ExportWriter) throws {
        try database.forEachChange(tableName: job.tableName, from: Date(timeIntervalSince1970: from), to: Date(timeIntervalSince1970: to)) { change in
            let line = ion ? ExportRunner.ionChange(change, view: view) : ExportRunner.jsonChange(change, view: view)
            try writer.add(line: line, size: line.count)
        }
    }

    private static func writeItems(_ database: Database, _ job: ExportJob, at instant: Date, ion: Bool, into writer: ExportWriter) throws {
        try database.forEachItem(tableName: job.tableName, at: instant) { item in
            if ion {
                let line = IonText.line(item: item)
                try writer.add(line: line, size: line.count)
            } else {
                let json = JSONWriter.encode(AttributeValueJSON.encode(item))
                try writer.add(itemJSON: json, size: json.count)
            }
        }
    }

    /// An incremental export's line in DynamoDB JSON:
    /// `{"Metadata":{"WriteTimestampMicros":{"N":"…"}},"Keys":{…},"OldImage":{…},"NewImage":{…}}`.
    static func jsonChange(_ change: ItemChange, view: String) -> [UInt8] {
        let micros = Int64((change.writeTime.timeIntervalSince1970 * 1_000_000).rounded())
        var members: [(String, JSONValue)] = [
            ("Metadata", .object([("WriteTimestampMicros", .object([("N", .string(String(micros)))]))])),
            ("Keys", AttributeValueJSON.encode(change.keys)),
        ]
        if view == "NEW_AND_OLD_IMAGES", let old = change.oldImage { members.append(("OldImage", AttributeValueJSON.encode(old))) }
        if let new = change.newImage { members.append(("NewImage", AttributeValueJSON.encode(new))) }
        return JSONWriter.encode(.object(members)) + [0x0A]
    }

    /// The same in Amazon Ion.
    static func ionChange(_ change: ItemChange, view: String) -> [UInt8] {
        let micros = Int64((change.writeTime.timeIntervalSince1970 * 1_000_000).rounded())
        var out = Array("$ion_1_0 {Metadata:{WriteTimestampMicros:\(micros)},Keys:".utf8)
        IonText.append(change.keys, to: &out)
        if view == "NEW_AND_OLD_IMAGES", let old = change.oldImage {
            out += Array(",OldImage:".utf8)
            IonText.append(old, to: &out)
        }
        if let new = change.newImage {
            out += Array(",NewImage:".utf8)
            IonText.append(new, to: &out)
        }
        out += Array("}\n".utf8)
        return out
    }
}

/// Why a job failed, as `FailureCode` and `FailureMessage`.
struct TransferFailure: Error, CustomStringConvertible {
    let code: String
    let message: String
    var description: String { "\(code): \(message)" }

    static func describe(_ error: any Error) -> (String, String) {
        switch error {
        case let failure as TransferFailure: return (failure.code, failure.message)
        case let shoal as ShoalError: return (shoal.type, shoal.message)
        case let protocolError as ProtocolError:
            return (protocolError.type.split(separator: "#").last.map(String.init) ?? protocolError.type, protocolError.message)
        default: return ("InternalError", "\(error)")
        }
    }
}
