import Foundation
import Shoal

/// DynamoDB's export and import operations: ExportTableToPointInTime, DescribeExport,
/// ListExports, ImportTable, DescribeImport and ListImports, run as the server's jobs
/// (``TransferJobs``) against S3 locations under its S3 root.
struct TransferOperations: Sendable {
    let database: Database
    let jobs: TransferJobs?

    private func requireJobs() throws(ProtocolError) -> TransferJobs {
        guard let jobs else { throw .validation("Export and import jobs run in shoal serve; this database has none") }
        return jobs
    }

    private static func error(_ type: String, _ message: String) -> ProtocolError {
        ProtocolError(type: ProtocolError.dynamoNamespace + type, message: message)
    }

    private static func enumValue(_ r: RequestReader, _ key: String, _ allowed: [String]) throws(ProtocolError) -> String? {
        guard let value = try r.string(key) else { return nil }
        guard allowed.contains(value) else {
            throw .validation("1 validation error detected: Value '\(value)' at '\(RequestReader.fieldName(key))' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return value
    }

    // MARK: Exports

    func exportTableToPointInTime(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        let tableArn = try r.requiredString("TableArn")
        let bucket = try r.requiredString("S3Bucket")
        let prefix = try r.string("S3Prefix")
        guard tableArn.hasPrefix("arn:"), tableArn.contains(":table/") else { throw .validation("Invalid TableArn: \(tableArn)") }
        let name = Database.tableNameForArn(tableArn)
        let format = try TransferOperations.enumValue(r, "ExportFormat", ["DYNAMODB_JSON", "ION"]) ?? "DYNAMODB_JSON"
        let type = try TransferOperations.enumValue(r, "ExportType", ["FULL_EXPORT", "INCREMENTAL_EXPORT"]) ?? "FULL_EXPORT"
        let sse = try TransferOperations.enumValue(r, "S3SseAlgorithm", ["AES256", "KMS"])
        _ = try S3Location(root: jobs.s3Root, bucket: bucket, prefix: prefix, field: "s3Bucket")
        let window = try engine { () throws(ShoalError) in try database.pointInTimeWindow(tableName: name) }
        let table = try engine { () throws(ShoalError) in try database.describeTable(name).table }
        let now = Date()
        var job = ExportJob(id: ExportWriter.newID(), arn: "", status: .inProgress, tableName: name, tableArn: table.tableArn,
                            tableID: table.tableId, clientToken: try r.string("ClientToken"), s3Bucket: bucket, s3Prefix: prefix,
                            s3BucketOwner: try r.string("S3BucketOwner"), s3SseAlgorithm: sse, s3SseKmsKeyId: try r.string("S3SseKmsKeyId"),
                            format: format, type: type, startTime: now.timeIntervalSince1970)
        job.arn = table.tableArn + "/export/" + job.id
        if type == "INCREMENTAL_EXPORT" {
            guard let spec = try r.object("IncrementalExportSpecification"), let from = try spec.timestamp("ExportFromTime") else {
                throw .validation("IncrementalExportSpecification with ExportFromTime is required for an INCREMENTAL_EXPORT")
            }
            if r.has("ExportTime") { throw .validation("ExportTime cannot be specified for an INCREMENTAL_EXPORT") }
            let to = try spec.timestamp("ExportToTime") ?? now
            job.exportView = try TransferOperations.enumValue(spec, "ExportViewType", ["NEW_IMAGE", "NEW_AND_OLD_IMAGES"]) ?? "NEW_AND_OLD_IMAGES"
            guard from < to else { throw TransferOperations.error("InvalidExportTimeException", "ExportFromTime must be before ExportToTime") }
            guard to.timeIntervalSince(from) <= 86_400 else {
                throw TransferOperations.error("InvalidExportTimeException", "An incremental export spans at most 24 hours")
            }
            guard from >= window.earliest, to <= now else {
                throw TransferOperations.error("InvalidExportTimeException", "The export period must be within the point-in-time recovery window of table \(name), from \(Database.iso8601(window.earliest)) to now")
            }
            (job.exportFrom, job.exportTo) = (from.timeIntervalSince1970, to.timeIntervalSince1970)
        } else {
            if r.has("IncrementalExportSpecification") { throw .validation("IncrementalExportSpecification can only be specified for an INCREMENTAL_EXPORT") }
            let instant = try r.timestamp("ExportTime") ?? now
            guard instant >= window.earliest, instant <= now else {
                throw TransferOperations.error("InvalidExportTimeException", "ExportTime \(Database.iso8601(instant)) must be within the point-in-time recovery window of table \(name), from \(Database.iso8601(window.earliest)) to now")
            }
            job.exportTime = instant.timeIntervalSince1970
        }
        if let token = job.clientToken, let earlier = jobs.exports.first(where: { $0.clientToken == token }) {
            guard earlier.sameRequest(as: job) else {
                throw TransferOperations.error("ExportConflictException", "There was a conflict when writing to the specified S3 bucket: ClientToken \(token) was used for a different export")
            }
            return .object([("ExportDescription", TransferJSON.export(earlier))])
        }
        do { try jobs.save(job) } catch { throw ProtocolError(ShoalError.internalError("Cannot record the export: \(error)")) }
        jobs.start(job)
        return .object([("ExportDescription", TransferJSON.export(job))])
    }

    func describeExport(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        let arn = try r.requiredString("ExportArn")
        guard let job = jobs.export(arn) else { throw TransferOperations.error("ExportNotFoundException", "Export not found: \(arn)") }
        return .object([("ExportDescription", TransferJSON.export(job))])
    }

    func listExports(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        let tableArn = try r.string("TableArn")
        let limit = try r.int("MaxResults") ?? 25
        try engine { () throws(ShoalError) in try ConstraintViolations.requireRange(limit, field: "maxResults", min: 1, max: 25) }
        let list = jobs.exports.filter { tableArn == nil || $0.tableArn == tableArn }.sorted { ($0.startTime, $0.arn) < ($1.startTime, $1.arn) }
        let page = try ListPage(list, limit: limit, token: try r.string("NextToken"), database: database) { $0.arn }
        var members: [(String, JSONValue)] = [("ExportSummaries", .array(page.entries.map { job in
            .object([("ExportArn", .string(job.arn)), ("ExportStatus", .string(job.status.rawValue)), ("ExportType", .string(job.type))])
        }))]
        if let next = page.nextToken { members.append(("NextToken", .string(next))) }
        return .object(members)
    }

    // MARK: Imports

    func importTable(_ r: RequestReader, tables: TableOperations) async throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        guard let source = try r.object("S3BucketSource") else {
            throw .validation("1 validation error detected: Value null at 's3BucketSource' failed to satisfy constraint: Member must not be null")
        }
        guard let format = try TransferOperations.enumValue(r, "InputFormat", ["DYNAMODB_JSON", "ION", "CSV"]) else {
            throw .validation("1 validation error detected: Value null at 'inputFormat' failed to satisfy constraint: Member must not be null")
        }
        guard let parameters = try r.object("TableCreationParameters"), let parametersJSON = r.members["TableCreationParameters"] else {
            throw .validation("1 validation error detected: Value null at 'tableCreationParameters' failed to satisfy constraint: Member must not be null")
        }
        let compression = try TransferOperations.enumValue(r, "InputCompressionType", ["GZIP", "ZSTD", "NONE"]) ?? "NONE"
        if format == "ION" { throw .validation("Shoal imports DYNAMODB_JSON and CSV; ION input is not supported") }
        let bucket = try source.requiredString("S3Bucket")
        let prefix = try source.string("S3KeyPrefix")
        _ = try S3Location(root: jobs.s3Root, bucket: bucket, prefix: prefix, field: "s3BucketSource.s3Bucket")
        var delimiter: String?
        var headers: [String]?
        if let csv = try r.object("InputFormatOptions")?.object("Csv") {
            guard format == "CSV" else { throw .validation("InputFormatOptions can only be specified for the CSV input format") }
            delimiter = try TransferOperations.enumValue(csv, "Delimiter", [",", "\t", ":", ";", "|", " "])
            if let list = try csv.array("HeaderList") {
                headers = list.compactMap(\.stringValue)
                guard headers!.count == list.count, (1...255).contains(list.count) else {
                    throw .validation("HeaderList holds 1 to 255 strings")
                }
            }
        }
        let request = try tables.createTableRequest(parameters)
        let now = Date()
        let id = ExportWriter.newID()
        let tableArn = "arn:aws:dynamodb:\(database.options.region):000000000000:table/\(request.tableName)"
        var job = ImportJob(id: id, arn: tableArn + "/import/" + id, status: .inProgress, tableName: request.tableName, tableArn: tableArn,
                            clientToken: try r.string("ClientToken"), s3Bucket: bucket, s3KeyPrefix: prefix,
                            s3BucketOwner: try source.string("S3BucketOwner"), format: format, csvDelimiter: delimiter, csvHeaders: headers,
                            compression: compression, tableCreationParameters: String(decoding: JSONWriter.encode(parametersJSON), as: UTF8.self),
                            startTime: now.timeIntervalSince1970)
        if let token = job.clientToken, let earlier = jobs.imports.first(where: { $0.clientToken == token }) {
            guard earlier.tableName == job.tableName, earlier.s3Bucket == bucket, earlier.s3KeyPrefix == prefix, earlier.format == format else {
                throw TransferOperations.error("ImportConflictException", "ClientToken \(token) was used for a different import")
            }
            return .object([("ImportTableDescription", TransferJSON.importJob(earlier, region: database.options.region))])
        }
        do { try jobs.save(job) } catch { throw ProtocolError(ShoalError.internalError("Cannot record the import: \(error)")) }
        let description: TableDescription
        do {
            description = try await database.createTableForImport(request, importArn: job.arn)
        } catch {
            job.status = .failed
            (job.failureCode, job.failureMessage) = (error.type, error.message)
            job.endTime = Date().timeIntervalSince1970
            try? jobs.save(job)
            throw ProtocolError(error.kind == .resourceInUse ? ShoalError(.resourceInUse, "Table already exists: \(request.tableName)") : error)
        }
        job.tableID = description.tableId
        do { try jobs.save(job) } catch { throw ProtocolError(ShoalError.internalError("Cannot record the import: \(error)")) }
        jobs.start(job)
        return .object([("ImportTableDescription", TransferJSON.importJob(job, region: database.options.region))])
    }

    func describeImport(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        let arn = try r.requiredString("ImportArn")
        guard let job = jobs.importJob(arn) else { throw TransferOperations.error("ImportNotFoundException", "Import not found: \(arn)") }
        return .object([("ImportTableDescription", TransferJSON.importJob(job, region: database.options.region))])
    }

    func listImports(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let jobs = try requireJobs()
        let tableArn = try r.string("TableArn")
        let limit = try r.int("PageSize") ?? 25
        try engine { () throws(ShoalError) in try ConstraintViolations.requireRange(limit, field: "pageSize", min: 1, max: 25) }
        let list = jobs.imports.filter { tableArn == nil || $0.tableArn == tableArn }.sorted { ($0.startTime, $0.arn) < ($1.startTime, $1.arn) }
        let page = try ListPage(list, limit: limit, token: try r.string("NextToken"), database: database) { $0.arn }
        var members: [(String, JSONValue)] = [("ImportSummaryList", .array(page.entries.map { job in
            var summary: [(String, JSONValue)] = [
                ("ImportArn", .string(job.arn)), ("ImportStatus", .string(job.status.rawValue)), ("TableArn", .string(job.tableArn)),
                ("S3BucketSource", TransferJSON.bucketSource(job)), ("CloudWatchLogGroupArn", .string(TransferJSON.logGroup(job, region: database.options.region))),
                ("InputFormat", .string(job.format)), ("StartTime", TransferJSON.time(job.startTime)),
            ]
            if let end = job.endTime { summary.append(("EndTime", TransferJSON.time(end))) }
            return .object(summary)
        }))]
        if let next = page.nextToken { members.append(("NextToken", .string(next))) }
        return .object(members)
    }
}

/// The JSON shapes of `ExportDescription` and `ImportTableDescription`.
enum TransferJSON {
    static func time(_ seconds: Double) -> JSONValue { .number(String(format: "%.3f", seconds)) }

    static func export(_ job: ExportJob) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("ExportArn", .string(job.arn)),
            ("ExportStatus", .string(job.status.rawValue)),
            ("StartTime", time(job.startTime)),
        ]
        if let end = job.endTime { members.append(("EndTime", time(end))) }
        if let manifest = job.manifest { members.append(("ExportManifest", .string(manifest))) }
        members += [("TableArn", .string(job.tableArn)), ("TableId", .string(job.tableID))]
        if let instant = job.exportTime { members.append(("ExportTime", time(instant))) }
        if let token = job.clientToken { members.append(("ClientToken", .string(token))) }
        members.append(("S3Bucket", .string(job.s3Bucket)))
        if let owner = job.s3BucketOwner { members.append(("S3BucketOwner", .string(owner))) }
        if let prefix = job.s3Prefix { members.append(("S3Prefix", .string(prefix))) }
        if let sse = job.s3SseAlgorithm { members.append(("S3SseAlgorithm", .string(sse))) }
        if let key = job.s3SseKmsKeyId { members.append(("S3SseKmsKeyId", .string(key))) }
        if let code = job.failureCode { members.append(("FailureCode", .string(code))) }
        if let message = job.failureMessage { members.append(("FailureMessage", .string(message))) }
        members.append(("ExportFormat", .string(job.format)))
        if let billed = job.billedSizeBytes { members.append(("BilledSizeBytes", .number(String(billed)))) }
        if let count = job.itemCount { members.append(("ItemCount", .number(String(count)))) }
        members.append(("ExportType", .string(job.type)))
        if let from = job.exportFrom, let to = job.exportTo {
            members.append(("IncrementalExportSpecification", .object([
                ("ExportFromTime", time(from)), ("ExportToTime", time(to)), ("ExportViewType", .string(job.exportView ?? "NEW_AND_OLD_IMAGES")),
            ])))
        }
        return .object(members)
    }

    static func bucketSource(_ job: ImportJob) -> JSONValue {
        var members: [(String, JSONValue)] = [("S3Bucket", .string(job.s3Bucket))]
        if let owner = job.s3BucketOwner { members.append(("S3BucketOwner", .string(owner))) }
        if let prefix = job.s3KeyPrefix { members.append(("S3KeyPrefix", .string(prefix))) }
        return .object(members)
    }

    /// Where DynamoDB would log the import's errors (Shoal writes them to a file beside the job's record).
    static func logGroup(_ job: ImportJob, region: String) -> String {
        "arn:aws:logs:\(region):000000000000:log-group:/aws-dynamodb/imports:*"
    }

    static func importJob(_ job: ImportJob, region: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("ImportArn", .string(job.arn)),
            ("ImportStatus", .string(job.status.rawValue)),
            ("TableArn", .string(job.tableArn)),
        ]
        if let id = job.tableID { members.append(("TableId", .string(id))) }
        if let token = job.clientToken { members.append(("ClientToken", .string(token))) }
        members += [
            ("S3BucketSource", bucketSource(job)),
            ("ErrorCount", .number(String(job.errorCount))),
            ("CloudWatchLogGroupArn", .string(logGroup(job, region: region))),
            ("InputFormat", .string(job.format)),
        ]
        if job.csvDelimiter != nil || job.csvHeaders != nil {
            var csv: [(String, JSONValue)] = []
            if let delimiter = job.csvDelimiter { csv.append(("Delimiter", .string(delimiter))) }
            if let headers = job.csvHeaders { csv.append(("HeaderList", .array(headers.map { .string($0) }))) }
            members.append(("InputFormatOptions", .object([("Csv", .object(csv))])))
        }
        members.append(("InputCompressionType", .string(job.compression)))
        if let parameters = try? JSONParser.parse(Array(job.tableCreationParameters.utf8)) {
            members.append(("TableCreationParameters", parameters))
        }
        members.append(("StartTime", time(job.startTime)))
        if let end = job.endTime { members.append(("EndTime", time(end))) }
        members += [
            ("ProcessedSizeBytes", .number(String(job.processedSizeBytes))),
            ("ProcessedItemCount", .number(String(job.processedItemCount))),
            ("ImportedItemCount", .number(String(job.importedItemCount))),
        ]
        if let code = job.failureCode { members.append(("FailureCode", .string(code))) }
        if let message = job.failureMessage { members.append(("FailureMessage", .string(message))) }
        return .object(members)
    }
}
