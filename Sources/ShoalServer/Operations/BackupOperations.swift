import Foundation
import Shoal

/// DynamoDB's on-demand backup operations: CreateBackup, DescribeBackup, ListBackups,
/// DeleteBackup and RestoreTableFromBackup.
extension TableOperations {
    func createBackup(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let name = try r.requiredString("BackupName")
        let details = try await engine { () async throws(ShoalError) in try await database.createBackup(tableName: table, backupName: name) }
        return .object([("BackupDetails", BackupJSON.details(details))])
    }

    func describeBackup(_ r: RequestReader, _ context: OperationContext) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("BackupArn")
        let description = try engine { () throws(ShoalError) in try database.describeBackup(arn: arn) }
        return .object([("BackupDescription", BackupJSON.description(description, region: context.region))])
    }

    func deleteBackup(_ r: RequestReader, _ context: OperationContext) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("BackupArn")
        let description = try engine { () throws(ShoalError) in try database.deleteBackup(arn: arn) }
        return .object([("BackupDescription", BackupJSON.description(description, region: context.region))])
    }

    func listBackups(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        var request = ListBackupsRequest(tableName: try r.string("TableName"), limit: try r.int("Limit"))
        request.timeRangeLowerBound = try r.timestamp("TimeRangeLowerBound")
        request.timeRangeUpperBound = try r.timestamp("TimeRangeUpperBound")
        request.exclusiveStartBackupArn = try r.string("ExclusiveStartBackupArn")
        request.backupType = try r.string("BackupType")
        let response = try engine { () throws(ShoalError) in try database.listBackups(request) }
        var members: [(String, JSONValue)] = [("BackupSummaries", .array(response.backupSummaries.map { summary in
            var fields: [(String, JSONValue)] = [
                ("TableName", .string(summary.tableName)),
                ("TableId", .string(summary.tableId)),
                ("TableArn", .string(summary.tableArn)),
            ]
            if case .object(let details) = BackupJSON.details(summary.backupDetails) { fields += details }
            return .object(fields)
        }))]
        if let last = response.lastEvaluatedBackupArn { members.append(("LastEvaluatedBackupArn", .string(last))) }
        return .object(members)
    }

    func restoreTableFromBackup(_ r: RequestReader, _ context: OperationContext) async throws(ProtocolError) -> JSONValue {
        var request = RestoreTableFromBackupRequest(targetTableName: try r.requiredString("TargetTableName"),
                                                    backupArn: try r.requiredString("BackupArn"))
        let overrides = try restoreOverrides(r)
        request.billingModeOverride = overrides.billing
        request.provisionedThroughputOverride = overrides.throughput
        request.globalSecondaryIndexOverride = overrides.globals
        request.localSecondaryIndexOverride = overrides.locals
        let description = try await engine { [request] () async throws(ShoalError) in try await database.restoreTableFromBackup(request) }
        return .object([("TableDescription", ResponseJSON.tableDescription(description, region: context.region))])
    }
}

extension TableOperations {
    /// The overrides both restores take: `BillingModeOverride`, `ProvisionedThroughputOverride`,
    /// `GlobalSecondaryIndexOverride` and `LocalSecondaryIndexOverride`.
    func restoreOverrides(_ r: RequestReader) throws(ProtocolError)
        -> (billing: BillingMode?, throughput: ProvisionedThroughput?, globals: [GlobalSecondaryIndex]?, locals: [LocalSecondaryIndex]?) {
        var missing = ConstraintViolations()
        let billing = try r.enumeration("BillingModeOverride", BillingMode.self)
        var throughput: ProvisionedThroughput?
        if let override = try r.object("ProvisionedThroughputOverride") {
            let read = try override.int64("ReadCapacityUnits")
            let write = try override.int64("WriteCapacityUnits")
            if let read, let write { throughput = ProvisionedThroughput(readCapacityUnits: read, writeCapacityUnits: write) }
        }
        var globals: [GlobalSecondaryIndex]?
        if let list = try r.array("GlobalSecondaryIndexOverride") {
            var found: [GlobalSecondaryIndex] = []
            for (i, json) in list.enumerated() {
                found.append(try globalIndex(try RequestReader(json), field: "globalSecondaryIndexOverride.\(i + 1).member", missing: &missing))
            }
            globals = found
        }
        var locals: [LocalSecondaryIndex]?
        if let list = try r.array("LocalSecondaryIndexOverride") {
            var found: [LocalSecondaryIndex] = []
            for (i, json) in list.enumerated() {
                let e = try RequestReader(json)
                let field = "localSecondaryIndexOverride.\(i + 1).member"
                let name = try e.string("IndexName")
                if name == nil { missing.add("Value null at '\(field).indexName' failed to satisfy constraint: Member must not be null") }
                found.append(LocalSecondaryIndex(indexName: name ?? "", keySchema: try keySchema(e, field: "\(field).keySchema", missing: &missing),
                                                 projection: try projection(e, field: field, missing: &missing)))
            }
            locals = found
        }
        try engine { () throws(ShoalError) in try missing.throwIfAny() }
        return (billing, throughput, globals, locals)
    }
}

/// The JSON shapes of backups.
enum BackupJSON {
    static func details(_ d: BackupDetails) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("BackupArn", .string(d.backupArn)),
            ("BackupName", .string(d.backupName)),
        ]
        if let size = d.backupSizeBytes { members.append(("BackupSizeBytes", .number(String(size)))) }
        members += [
            ("BackupStatus", .string(d.backupStatus.rawValue)),
            ("BackupType", .string(d.backupType)),
            ("BackupCreationDateTime", .number(String(format: "%.3f", d.backupCreationDateTime.timeIntervalSince1970))),
        ]
        return .object(members)
    }

    static func description(_ d: BackupDescription, region: String) -> JSONValue {
        let table = d.sourceTable
        var source: [(String, JSONValue)] = [
            ("TableName", .string(table.tableName)),
            ("TableId", .string(table.tableId)),
            ("TableArn", .string(table.tableArn)),
            ("TableSizeBytes", .number(String(table.tableSizeBytes))),
            ("KeySchema", ResponseJSON.keySchema(table.keySchema)),
            ("TableCreationDateTime", .number(String(format: "%.3f", table.creationDateTime.timeIntervalSince1970))),
            ("ProvisionedThroughput", throughput(table.provisionedThroughput)),
            ("ItemCount", .number(String(table.itemCount))),
            ("BillingMode", .string(table.billingMode.rawValue)),
        ]
        if table.billingMode == .payPerRequest { source.remove(at: 6) }
        var features: [(String, JSONValue)] = []
        if let locals = table.localSecondaryIndexes {
            features.append(("LocalSecondaryIndexes", .array(locals.map { index in
                .object([("IndexName", .string(index.indexName)), ("KeySchema", ResponseJSON.keySchema(index.keySchema)),
                         ("Projection", ResponseJSON.projection(index.projection))])
            })))
        }
        if let globals = table.globalSecondaryIndexes {
            features.append(("GlobalSecondaryIndexes", .array(globals.map { index in
                var members: [(String, JSONValue)] = [("IndexName", .string(index.indexName)), ("KeySchema", ResponseJSON.keySchema(index.keySchema)),
                                                      ("Projection", ResponseJSON.projection(index.projection))]
                if let t = index.provisionedThroughput { members.append(("ProvisionedThroughput", throughput(t))) }
                return .object(members)
            })))
        }
        if let stream = table.streamSpecification, stream.streamEnabled {
            var members: [(String, JSONValue)] = [("StreamEnabled", .bool(true))]
            if let viewType = stream.streamViewType { members.append(("StreamViewType", .string(viewType.rawValue))) }
            features.append(("StreamDescription", .object(members)))
        }
        if let attribute = d.timeToLiveAttribute {
            features.append(("TimeToLiveDescription", .object([("TimeToLiveStatus", .string("ENABLED")), ("AttributeName", .string(attribute))])))
        }
        return .object([
            ("BackupDetails", details(d.backupDetails)),
            ("SourceTableDetails", .object(source)),
            ("SourceTableFeatureDetails", .object(features)),
        ])
    }

    private static func throughput(_ t: ProvisionedThroughput?) -> JSONValue {
        .object([("ReadCapacityUnits", .number(String(t?.readCapacityUnits ?? 0))),
                 ("WriteCapacityUnits", .number(String(t?.writeCapacityUnits ?? 0)))])
    }
}

extension RequestReader {
    /// A timestamp member: seconds since 1970 as a JSON number.
    func timestamp(_ key: String) throws(ProtocolError) -> Date? {
        guard let value = members[key] else { return nil }
        guard case .number(let text) = value, let seconds = Double(text) else {
            throw .serialization("\(value.typeName) can not be converted to a Timestamp")
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
