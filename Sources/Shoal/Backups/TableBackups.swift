import Foundation
import LMDB

/// DynamoDB's `BackupDetails`.
public struct BackupDetails: Sendable, Equatable {
    public var backupArn: String
    public var backupName: String
    /// Known once the backup is AVAILABLE.
    public var backupSizeBytes: Int?
    public var backupStatus: BackupStatus
    /// Always `USER`: Shoal makes no system backups.
    public var backupType: String
    public var backupCreationDateTime: Date
}

/// DynamoDB's `BackupDescription`: the backup and the table it was taken from.
public struct BackupDescription: Sendable {
    public var backupDetails: BackupDetails
    /// The source table as it was (`SourceTableDetails` and `SourceTableFeatureDetails`).
    public var sourceTable: TableDescription
    /// The time to live attribute the table had, if enabled.
    public var timeToLiveAttribute: String?
}

/// One entry of ListBackups.
public struct BackupSummary: Sendable {
    public var tableName: String
    public var tableId: String
    public var tableArn: String
    public var backupDetails: BackupDetails
}

public struct ListBackupsRequest: Sendable {
    public var tableName: String?
    /// 1 to 100.
    public var limit: Int?
    /// Backups created at or after this instant.
    public var timeRangeLowerBound: Date?
    /// Backups created before this instant.
    public var timeRangeUpperBound: Date?
    public var exclusiveStartBackupArn: String?
    /// `USER` (the default), `SYSTEM`, `AWS_BACKUP` or `ALL`.
    public var backupType: String?

    public init(tableName: String? = nil, limit: Int? = nil) {
        self.tableName = tableName
        self.limit = limit
    }
}

public struct ListBackupsResponse: Sendable {
    public var backupSummaries: [BackupSummary]
    public var lastEvaluatedBackupArn: String?
}

extension ShoalError {
    static func backupNotFound(_ arn: String) -> ShoalError { ShoalError(.backupNotFound, "Backup not found: \(arn)") }
}

extension Database {
    /// A `BackupArn` member's length constraint (37 to 1,024 characters), then the backup.
    func backupRecord(_ arn: String) throws(ShoalError) -> BackupRecord {
        var violations = ConstraintViolations()
        violations.checkLength(arn, field: "backupArn", min: 37, max: 1024)
        try violations.throwIfAny()
        guard let record = backups.record(arn) else { throw .backupNotFound(arn) }
        return record
    }
}

extension Database {
    /// DynamoDB's CreateBackup: answers at once with the backup CREATING; the table's items are
    /// written to `DIR/backups/` from one view of every shard taken right after, and the backup
    /// is AVAILABLE when they are on disk. `tableName` may be the table's ARN.
    public func createBackup(tableName: String, backupName: String) async throws(ShoalError) -> BackupDetails {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        var violations = ConstraintViolations()
        violations.checkLength(backupName, field: "backupName", min: 3, max: 255)
        if !backupName.isEmpty, !backupName.utf8.allSatisfy(Database.isBackupNameByte) {
            violations.add("Value '\(backupName)' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        }
        try violations.throwIfAny()
        let name = Database.tableName(fromNameOrArn: tableName)
        guard let handle = lookup(name) else { throw ShoalError(.tableNotFoundException, "Table not found: \(name)") }
        if handle.definition.isLoading {
            throw ShoalError(.tableInUse, "Table is being \(handle.definition.importArn == nil ? "restored" : "imported"): \(name)")
        }
        let now = options.clock.now
        let millis = Int((now.timeIntervalSince1970 * 1000).rounded(.down))
        let digits = String(millis)
        let id = String(repeating: "0", count: max(0, 14 - digits.count)) + digits + "-"
            + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
        let tableArn = "arn:aws:dynamodb:\(options.region):000000000000:table/\(name)"
        let record = BackupRecord(id: id, name: backupName, arn: tableArn + "/backup/" + id, createdAt: Double(millis) / 1000,
                                  status: .creating, table: handle.definition, tableArn: tableArn)
        try backups.save(record)
        let table = handle
        jobs.start("backup \(backupName) of table \(name)", retrying: false) { [self] in try await writeBackup(record, of: table) }
        return record.details
    }

    private static func isBackupNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x5F || byte == 0x2E || byte == 0x2D
    }

    /// The name in `arn:aws:dynamodb:…:table/NAME`, or the argument itself.
    public static func tableNameForArn(_ value: String) -> String { tableName(fromNameOrArn: value) }

    /// The name in `arn:aws:dynamodb:…:table/NAME`, or the argument itself.
    static func tableName(fromNameOrArn value: String) -> String {
        guard value.hasPrefix("arn:"), let range = value.range(of: ":table/") else { return value }
        return String(value[range.upperBound...].prefix { $0 != "/" })
    }

    /// Writes the items of `table` as one view of every shard shows them, then marks the backup
    /// AVAILABLE; on failure the backup is removed (and the failure reported).
    private func writeBackup(_ record: BackupRecord, of table: TableHandle) async throws {
        let temporary = backups.itemsPath(record.id) + ".tmp"
        let outcome: Result<(count: Int, size: Int), any Error> = await DirectoryCopy.onThread { [self] in
            Result { try writeStoredValues(to: temporary) { each in try forEachStoredValue(table, each) } }
        }
        var finished = record
        do {
            let (count, size) = try outcome.get()
            try FileManager.default.moveItem(atPath: temporary, toPath: backups.itemsPath(record.id))
            finished.status = .available
            finished.itemCount = count
            finished.sizeBytes = size
            try backups.save(finished)
        } catch {
            backups.remove(record)
            throw error
        }
    }

    /// Streams the stored item values `produce` hands out to `path`, each after its length (a
    /// varint), and syncs the file.
    func writeStoredValues(to path: String, from produce: (_ each: ([UInt8]) throws -> Void) throws -> Void) throws -> (count: Int, size: Int) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ShoalError.internalError("Cannot create \(path)")
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var count = 0
        var size = 0
        var buffer = ByteWriter(capacity: 1 << 20)
        try produce { value in
            buffer.varint(value.count)
            buffer.append(value)
            size += try ShardLayout.storedSize(value)
            count += 1
            if buffer.bytes.count >= 1 << 20 {
                try file.write(contentsOf: buffer.bytes)
                buffer.bytes.removeAll(keepingCapacity: true)
            }
        }
        try file.write(contentsOf: buffer.bytes)
        try file.synchronize()
        return (count, size)
    }

    /// DynamoDB's DescribeBackup.
    public func describeBackup(arn: String) throws(ShoalError) -> BackupDescription {
        let record = try backupRecord(arn)
        return record.description(region: options.region)
    }

    /// DynamoDB's ListBackups: oldest first, `Limit` at a time.
    public func listBackups(_ request: ListBackupsRequest) throws(ShoalError) -> ListBackupsResponse {
        if let limit = request.limit { try ConstraintViolations.requireRange(limit, field: "limit", min: 1, max: 100) }
        let type = request.backupType ?? "USER"
        guard ["USER", "SYSTEM", "AWS_BACKUP", "ALL"].contains(type) else {
            throw .validation("1 validation error detected: Value '\(type)' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
        }
        if let lower = request.timeRangeLowerBound, let upper = request.timeRangeUpperBound, lower > upper {
            throw .validation("TimeRangeLowerBound must be less than or equal to TimeRangeUpperBound")
        }
        guard type == "USER" || type == "ALL" else { return ListBackupsResponse(backupSummaries: []) }
        let table = request.tableName.map(Database.tableName(fromNameOrArn:))
        var matching = backups.all().filter { record in
            (table == nil || record.table.name == table)
                && (request.timeRangeLowerBound.map { record.createdAt >= $0.timeIntervalSince1970 } ?? true)
                && (request.timeRangeUpperBound.map { record.createdAt < $0.timeIntervalSince1970 } ?? true)
        }
        matching.sort { ($0.createdAt, $0.arn) < ($1.createdAt, $1.arn) }
        if let start = request.exclusiveStartBackupArn {
            guard let position = matching.firstIndex(where: { $0.arn == start }) else {
                throw .validation("Invalid ExclusiveStartBackupArn: \(start)")
            }
            matching.removeFirst(position + 1)
        }
        let limit = request.limit ?? 100
        let page = matching.prefix(limit)
        return ListBackupsResponse(
            backupSummaries: page.map { record in
                BackupSummary(tableName: record.table.name, tableId: record.table.id, tableArn: record.tableArn, backupDetails: record.details)
            },
            lastEvaluatedBackupArn: matching.count > limit ? page.last?.arn : nil)
    }

    /// DynamoDB's DeleteBackup: returns the description with status DELETED.
    public func deleteBackup(arn: String) throws(ShoalError) -> BackupDescription {
        let record = try backupRecord(arn)
        guard record.status == .available else {
            throw ShoalError(.backupInUse, "Backup is being created: \(arn)")
        }
        if tableNames().contains(where: { lookup($0)?.definition.restore.map { $0.inProgress && $0.sourceBackupArn == arn } == true }) {
            throw ShoalError(.backupInUse, "Backup is being restored to a table: \(arn)")
        }
        backups.remove(record)
        var description = record.description(region: options.region)
        description.backupDetails.backupStatus = .deleted
        return description
    }
}

extension BackupRecord {
    var details: BackupDetails {
        BackupDetails(backupArn: arn, backupName: name, backupSizeBytes: sizeBytes, backupStatus: status, backupType: "USER",
                      backupCreationDateTime: Date(timeIntervalSince1970: createdAt))
    }

    func description(region: String) -> BackupDescription {
        var source = table
        source.restore = nil
        return BackupDescription(backupDetails: details,
                                 sourceTable: source.describe(status: .active, itemCount: itemCount ?? 0, sizeBytes: sizeBytes ?? 0, region: region),
                                 timeToLiveAttribute: table.timeToLive?.attributeName)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
