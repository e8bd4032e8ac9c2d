import Foundation
import Shoal
import Synchronization

/// Runs one import job: every object of the bucket under the key prefix, read line by line
/// (gunzipped for `GZIP`), each line parsed as DynamoDB JSON (`{"Item":{…}}`) or CSV, checked
/// against the table's key schema and written in bulk into the table the request created (it is
/// CREATING meanwhile). A line that cannot be imported is counted in `ErrorCount` and written,
/// with its object and line number, to the job's error log; the import goes on. The table turns
/// ACTIVE at the end; a job that cannot finish deletes it and is FAILED.
struct ImportRunner {
    let jobs: TransferJobs
    let job: ImportJob
    /// The most error lines written to the log (the count goes on).
    static let loggedErrors = 10_000

    func run() async {
        var record = job
        do {
            guard let tableID = job.tableID else { throw TransferFailure(code: "InternalError", message: "the import's table was never created") }
            let location = try S3Location(root: jobs.s3Root, bucket: job.s3Bucket, prefix: job.s3KeyPrefix, field: "s3Bucket")
            let job = self.job
            let errorLog = jobs.errorLogPath(job)
            let counts = try await jobs.withDatabase { database in
                try await ImportRunner.load(database, job, tableID: tableID, location: location, errorLog: errorLog)
            }
            (record.processedSizeBytes, record.processedItemCount, record.importedItemCount, record.errorCount) = counts
            try await jobs.withDatabase { database in try database.finishImport(tableName: job.tableName, tableID: tableID) }
            record.status = .completed
        } catch is CancellationError {
            return
        } catch {
            record.status = .failed
            (record.failureCode, record.failureMessage) = TransferFailure.describe(error)
            jobs.logger.error("import \(job.arn) failed: \(record.failureMessage ?? "")")
            if let tableID = job.tableID {
                let name = job.tableName
                do {
                    try await jobs.withDatabase { database in try await database.abandonImport(tableName: name, tableID: tableID) }
                } catch {
                    jobs.logger.error("import \(job.arn): cannot delete the table it was filling: \(error)")
                }
            }
        }
        record.endTime = Date().timeIntervalSince1970
        do {
            try jobs.save(record)
        } catch {
            jobs.logger.error("import \(job.arn): cannot record its end: \(error)")
        }
    }

    /// Loads every object through the import loop `shoal import` uses (``TableImport/load``).
    /// - Returns: bytes and lines processed, items imported, errors.
    static func load(_ database: Database, _ job: ImportJob, tableID: String, location: S3Location,
                     errorLog: String) async throws -> (Int, Int, Int, Int) {
        guard database.importingTableID(job.tableName, importArn: job.arn) == tableID else {
            throw TransferFailure(code: "ResourceNotFoundException", message: "Table \(job.tableName) is no longer being imported")
        }
        let keys = try TableKeys(description: ResponseJSON.tableDescription(try database.describeTable(job.tableName).table,
                                                                             region: database.options.region))
        guard FileManager.default.createFile(atPath: errorLog, contents: nil) else {
            throw TransferFailure(code: "InternalError", message: "cannot create the error log \(errorLog)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: errorLog))
        defer { try? log.close() }
        let logged = ErrorLog(handle: log)
        let writer = ImportBatcher(client: ImportingClient(database: database, tableID: tableID), table: job.tableName, keys: keys,
                                   onError: .skip) { line in logged.write(line) }
        let objects = location.objects()
        let bytes = objects.reduce(0) { total, object in
            total + (((try? FileManager.default.attributesOfItem(atPath: object.path))?[.size] as? Int) ?? 0)
        }
        let lines = try await TableImport.load(objects.map { (name: $0.key, path: $0.path, csv: job.format == "CSV") },
                                               header: job.csvHeaders, delimiter: job.csvDelimiter.flatMap { $0.utf8.first } ?? 0x2C,
                                               keys: keys, into: writer)
        try log.synchronize()
        return (bytes, lines, writer.imported, writer.badCount)
    }
}

/// The import's error log (DynamoDB's CloudWatch log group): one `key:line: reason` per bad line,
/// the first ``ImportRunner/loggedErrors`` of them.
final class ErrorLog: Sendable {
    private let handle: FileHandle
    private let written = Mutex(0)

    init(handle: FileHandle) { self.handle = handle }

    func write(_ line: TableImport.BadLine) {
        let allowed = written.withLock { count in
            count += 1
            return count <= ImportRunner.loggedErrors
        }
        if allowed { try? handle.write(contentsOf: Data("\(line.file):\(line.line): \(line.message)\n".utf8)) }
    }
}
