import Foundation
import Shoal

/// DynamoDB's point-in-time recovery operations: DescribeContinuousBackups,
/// UpdateContinuousBackups and RestoreTableToPointInTime.
extension TableOperations {
    func describeContinuousBackups(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        let description = try engine { () throws(ShoalError) in try database.describeContinuousBackups(tableName: name) }
        return .object([("ContinuousBackupsDescription", RecoveryJSON.description(description))])
    }

    func updateContinuousBackups(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        guard let specification = try r.object("PointInTimeRecoverySpecification") else {
            throw .validation("1 validation error detected: Value null at 'pointInTimeRecoverySpecification' failed to satisfy constraint: Member must not be null")
        }
        guard let enabled = try specification.bool("PointInTimeRecoveryEnabled") else {
            throw .validation("1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null")
        }
        let days = try specification.int("RecoveryPeriodInDays")
        let description = try await engine { () async throws(ShoalError) in
            try await database.updateContinuousBackups(tableName: name, enabled: enabled, recoveryPeriodInDays: days)
        }
        return .object([("ContinuousBackupsDescription", RecoveryJSON.description(description))])
    }

    func restoreTableToPointInTime(_ r: RequestReader, _ context: OperationContext) async throws(ProtocolError) -> JSONValue {
        var request = RestoreTableToPointInTimeRequest(
            sourceTableName: try r.string("SourceTableName"), sourceTableArn: try r.string("SourceTableArn"),
            targetTableName: try r.requiredString("TargetTableName"),
            restoreDateTime: try r.timestamp("RestoreDateTime"), useLatestRestorableTime: try r.bool("UseLatestRestorableTime"))
        let overrides = try restoreOverrides(r)
        request.billingModeOverride = overrides.billing
        request.provisionedThroughputOverride = overrides.throughput
        request.globalSecondaryIndexOverride = overrides.globals
        request.localSecondaryIndexOverride = overrides.locals
        request.sseSpecificationOverride = try sseSpecification(r, member: "SSESpecificationOverride")
        request.onDemandThroughputOverride = try onDemandThroughput(r, member: "OnDemandThroughputOverride")
        let description = try await engine { [request] () async throws(ShoalError) in try await database.restoreTableToPointInTime(request) }
        return .object([("TableDescription", ResponseJSON.tableDescription(description, region: context.region))])
    }
}

/// The JSON shape of `ContinuousBackupsDescription`.
enum RecoveryJSON {
    static func description(_ d: ContinuousBackupsDescription) -> JSONValue {
        let pitr = d.pointInTimeRecoveryDescription
        var members: [(String, JSONValue)] = [("PointInTimeRecoveryStatus", .string(pitr.status.rawValue))]
        if let days = pitr.recoveryPeriodInDays { members.append(("RecoveryPeriodInDays", .number(String(days)))) }
        if let earliest = pitr.earliestRestorableDateTime { members.append(("EarliestRestorableDateTime", time(earliest))) }
        if let latest = pitr.latestRestorableDateTime { members.append(("LatestRestorableDateTime", time(latest))) }
        return .object([
            ("ContinuousBackupsStatus", .string(d.continuousBackupsStatus)),
            ("PointInTimeRecoveryDescription", .object(members)),
        ])
    }

    private static func time(_ date: Date) -> JSONValue { .number(String(format: "%.3f", date.timeIntervalSince1970)) }
}
