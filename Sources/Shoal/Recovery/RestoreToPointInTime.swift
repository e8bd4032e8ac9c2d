import Foundation

/// DynamoDB's RestoreTableToPointInTime request.
public struct RestoreTableToPointInTimeRequest: Sendable {
    /// The source table, by name or by ARN (one of the two).
    public var sourceTableName: String?
    public var sourceTableArn: String?
    public var targetTableName: String
    /// The instant to restore (or ``useLatestRestorableTime``).
    public var restoreDateTime: Date?
    public var useLatestRestorableTime: Bool?
    public var billingModeOverride: BillingMode?
    public var provisionedThroughputOverride: ProvisionedThroughput?
    /// The global indexes to create (a subset of the source's); all of them when nil.
    public var globalSecondaryIndexOverride: [GlobalSecondaryIndex]?
    /// The local indexes to create; all of them when nil.
    public var localSecondaryIndexOverride: [LocalSecondaryIndex]?
    /// Replaces the source's encryption settings (recorded, as CreateTable's).
    public var sseSpecificationOverride: SSESpecification?
    public var onDemandThroughputOverride: OnDemandThroughput?

    public init(sourceTableName: String? = nil, sourceTableArn: String? = nil, targetTableName: String,
                restoreDateTime: Date? = nil, useLatestRestorableTime: Bool? = nil) {
        self.sourceTableName = sourceTableName
        self.sourceTableArn = sourceTableArn
        self.targetTableName = targetTableName
        self.restoreDateTime = restoreDateTime
        self.useLatestRestorableTime = useLatestRestorableTime
    }
}

extension Database {
    /// DynamoDB's RestoreTableToPointInTime: creates the target table with the source's current
    /// key schema, indexes, capacity and encryption settings (each unless overridden; stream, time
    /// to live, tags and point-in-time recovery are not restored), answers with it CREATING, and
    /// loads the source's items as they were at the instant in the background. The load first
    /// writes those items to a file from the source's recovery log (so later writes to the source,
    /// and the log's trimming, no longer matter), then fills the table from it; after a crash it
    /// resumes where the file says.
    public func restoreTableToPointInTime(_ request: RestoreTableToPointInTimeRequest) async throws(ShoalError) -> TableDescription {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        try TableNameRule.validate(request.targetTableName, field: "targetTableName")
        guard request.sourceTableName != nil || request.sourceTableArn != nil else {
            throw .validation("Either SourceTableArn or SourceTableName must be provided")
        }
        if let name = request.sourceTableName, let arn = request.sourceTableArn, Database.tableName(fromNameOrArn: arn) != name {
            throw .validation("SourceTableArn and SourceTableName name different tables: \(arn), \(name)")
        }
        let latest = request.useLatestRestorableTime == true
        if latest && request.restoreDateTime != nil {
            throw .validation("Only one of RestoreDateTime or UseLatestRestorableTime may be specified")
        }
        guard latest || request.restoreDateTime != nil else {
            throw .validation("Either RestoreDateTime or UseLatestRestorableTime must be specified")
        }
        let sourceName = request.sourceTableName ?? Database.tableName(fromNameOrArn: request.sourceTableArn!)
        guard let source = lookup(sourceName) else { throw ShoalError(.tableNotFoundException, "Table not found: \(sourceName)") }
        guard let recovery = source.definition.pointInTimeRecovery else {
            throw ShoalError(.pointInTimeRecoveryUnavailable, "Point in time recovery is not enabled for table '\(sourceName)'")
        }
        let window = recovery.window(now: options.clock.now)
        let instant = latest ? window.latest : request.restoreDateTime!
        guard instant >= window.earliest, instant <= window.latest else {
            throw ShoalError(.invalidRestoreTime, "Invalid RestoreDateTime \(Database.iso8601(instant)): it must be between EarliestRestorableDateTime \(Database.iso8601(window.earliest)) and LatestRestorableDateTime \(Database.iso8601(window.latest))")
        }
        guard lookup(request.targetTableName) == nil else {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        var definition = try restoredDefinition(
            of: source.definition, named: request.targetTableName, billing: request.billingModeOverride,
            throughput: request.provisionedThroughputOverride, globals: request.globalSecondaryIndexOverride,
            locals: request.localSecondaryIndexOverride)
        var settings = TableSettings()
        settings.sse = source.definition.settings?.sse
        if let sse = request.sseSpecificationOverride {
            try TableSettingRules.validate(sse)
            settings.sse = sse.enabled == false ? nil : sse
        }
        settings.onDemandThroughput = request.onDemandThroughputOverride ?? source.definition.settings?.onDemandThroughput
        definition.settings = settings.isEmpty ? nil : settings
        definition.restore = RestoreState(
            sourceBackupArn: nil, sourceTableArn: "arn:aws:dynamodb:\(options.region):000000000000:table/\(sourceName)",
            restoredAt: instant.timeIntervalSince1970, inProgress: true, sourceTableName: sourceName, sourceTableID: source.definition.id)
        let created: CreateTableResponse
        do {
            created = try await insertTable(definition)
        } catch where error.kind == .resourceInUse {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        startRestore(tableName: definition.name, tableID: definition.id, from: .pointInTime)
        return created.tableDescription
    }

    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    /// Where a restore to a point in time keeps the items it loads.
    private func pointInTimeItemsPath(_ tableID: String) -> String { backups.directory + "/restore-" + tableID + ".items" }

    /// The file of the items a restore to a point in time loads into `target`: written (once,
    /// atomically) from the source table's recovery log unless an earlier run of the job did.
    /// The source gone, re-created or no longer covering the instant is a permanent failure.
    func pointInTimeItems(for target: TableDefinition) async throws -> String {
        let path = pointInTimeItemsPath(target.id)
        if FileManager.default.fileExists(atPath: path) { return path }
        guard let restore = target.restore, let sourceName = restore.sourceTableName else {
            throw BackgroundJobs.PermanentFailure(underlying: ShoalError.internalError("\(target.name) is not being restored to a point in time"))
        }
        let instant = Date(timeIntervalSince1970: restore.restoredAt)
        guard let source = lookup(sourceName), source.definition.id == restore.sourceTableID,
              let recovery = source.definition.pointInTimeRecovery, recovery.window(now: options.clock.now).earliest <= instant else {
            throw BackgroundJobs.PermanentFailure(underlying: ShoalError(
                .pointInTimeRecoveryUnavailable, "Table \(sourceName) no longer has point-in-time recovery covering \(Database.iso8601(instant))"))
        }
        try FileManager.default.createDirectory(atPath: backups.directory, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        let outcome: Result<(count: Int, size: Int), any Error> = await DirectoryCopy.onThread { [self] in
            Result { try writeStoredValues(to: temporary) { each in try forEachStoredValue(source, at: instant, each) } }
        }
        _ = try outcome.get()
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        return path
    }

    /// Deletes the item files of restores to a point in time that no table is waiting for.
    func removeStaleRestoreFiles(keeping tableIDs: Set<String>) {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: backups.directory)) ?? [] where name.hasPrefix("restore-") {
            let id = name.dropFirst("restore-".count).prefix { $0 != "." }
            if !tableIDs.contains(String(id)) { try? manager.removeItem(atPath: backups.directory + "/" + name) }
        }
    }
}
