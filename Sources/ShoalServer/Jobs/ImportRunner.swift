import Foundation
import Shoal

/// Runs one import job: every object of the bucket under the key prefix, read line by line
/// (gunzipped for `GZIP`), each line parsed as DynamoDB JSON (`{"Item":{…}}`) or CSV, checked
/// against the table's key schema and written in bulk into the table the request created (it is
/// CREATING meanwhile). A line that cannot be imported is counted in `ErrorCount` and written,
/// with its object and line number, to the job's error log; the import goes on. The table turns
/// ACTIVE at the end; a job that cannot finish deletes it and is FAILED.
struct ImportRunner {
    let jobs: TransferJobs
    let job: ImportJob
    /// Items per bulk write.
    static let batchSize = 4096
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

    /// Loads every object. - Returns: bytes and lines processed, items imported, errors.
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
        var (bytes, lines, imported, errors) = (0, 0, 0, 0)
        func bad(_ key: String, _ line: Int, _ message: String) {
            errors += 1
            if errors <= loggedErrors { try? log.write(contentsOf: Data("\(key):\(line): \(message)\n".utf8)) }
        }
        let delimiter = job.csvDelimiter.flatMap { $0.utf8.first } ?? 0x2C
        var batch: [(item: Item, key: String, line: Int)] = []
        var keysInBatch: Set<String> = []
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let refused = try await database.importItems(tableName: job.tableName, tableID: tableID, batch.map(\.item))
            for failure in refused { bad(batch[failure.position].key, batch[failure.position].line, failure.error.message) }
            imported += batch.count - refused.count
            batch.removeAll(keepingCapacity: true)
            keysInBatch.removeAll(keepingCapacity: true)
        }
        for object in location.objects() {
            try Task.checkCancellation()
            bytes += ((try? FileManager.default.attributesOfItem(atPath: object.path))?[.size] as? Int) ?? 0
            let reader: LineReader
            do {
                reader = try LineReader(path: object.path)
            } catch {
                bad(object.key, 0, "cannot read the object: \(error)")
                continue
            }
            var header = job.format == "CSV" ? job.csvHeaders : nil
            while true {
                let line: [UInt8]
                do {
                    guard let next = try reader.next() else { break }
                    line = next
                } catch {
                    bad(object.key, reader.lineNumber + 1, "\(error)")
                    break
                }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let parsed: Result<Item, TransferError>
                if job.format == "CSV" {
                    guard let columns = header else {
                        header = CSV.fields(line, delimiter: delimiter).map { $0.trimmingCharacters(in: .whitespaces) }
                        continue
                    }
                    parsed = Result { () throws(TransferError) -> Item in try CSV.item(line, header: columns, keys: keys, delimiter: delimiter) }
                } else {
                    parsed = Result { () throws(TransferError) -> Item in try DynamoDBJSONLine.item(line) }
                }
                lines += 1
                switch parsed {
                case .success(let item):
                    if let problem = keys.problem(with: item) {
                        bad(object.key, reader.lineNumber, problem)
                    } else {
                        // Two writes of one key in a batch: the earlier first.
                        let identity = keys.identity(of: item)
                        if keysInBatch.contains(identity) { try await flush() }
                        batch.append((item, object.key, reader.lineNumber))
                        keysInBatch.insert(identity)
                        if batch.count >= batchSize { try await flush() }
                    }
                case .failure(let error):
                    bad(object.key, reader.lineNumber, error.description)
                }
            }
        }
        try await flush()
        try log.synchronize()
        return (bytes, lines, imported, errors)
    }
}
