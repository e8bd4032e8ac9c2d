import Foundation

/// A table's point-in-time recovery while it is enabled, kept in its definition.
struct PointInTimeRecoveryState: Sendable, Codable, Equatable {
    /// Names the log's database in every shard (a new one each time recovery is enabled).
    var logID: String
    /// Since when the log is complete (epoch seconds): when recovery was enabled, or when a
    /// reshard last moved items between shards (their history stays behind).
    var since: Double
    /// 1 to 35.
    var recoveryPeriodInDays: Int

    /// The span a restore can reach at `now`: from the earliest restorable instant to now. Both
    /// ends come from seconds since 1970 (as `since` is kept), so the latest is never a rounding
    /// step before the earliest when recovery was enabled this very instant.
    func window(now: Date) -> (earliest: Date, latest: Date) {
        let seconds = now.timeIntervalSince1970
        let earliest = max(since, seconds - Double(recoveryPeriodInDays) * 86_400)
        return (Date(timeIntervalSince1970: earliest), Date(timeIntervalSince1970: max(seconds, earliest)))
    }
}

/// `ENABLED` or `DISABLED`.
public enum PointInTimeRecoveryStatus: String, Sendable {
    case enabled = "ENABLED"
    case disabled = "DISABLED"
}

/// DynamoDB's `PointInTimeRecoveryDescription`.
public struct PointInTimeRecoveryDescription: Sendable, Equatable {
    public var status: PointInTimeRecoveryStatus
    /// While enabled.
    public var recoveryPeriodInDays: Int?
    public var earliestRestorableDateTime: Date?
    /// Now: every committed write is in the log (DynamoDB's lags about five minutes).
    public var latestRestorableDateTime: Date?
}

/// DynamoDB's `ContinuousBackupsDescription`: continuous backups are always `ENABLED`.
public struct ContinuousBackupsDescription: Sendable, Equatable {
    public var continuousBackupsStatus = "ENABLED"
    public var pointInTimeRecoveryDescription: PointInTimeRecoveryDescription
}

extension Database {
    /// DynamoDB's DescribeContinuousBackups. `tableName` may be the table's ARN.
    public func describeContinuousBackups(tableName: String) throws(ShoalError) -> ContinuousBackupsDescription {
        let name = Database.tableName(fromNameOrArn: tableName)
        guard let handle = lookup(name) else { throw ShoalError(.tableNotFoundException, "Table not found: \(name)") }
        return Database.continuousBackups(handle.definition.pointInTimeRecovery, now: options.clock.now)
    }

    /// DynamoDB's UpdateContinuousBackups: switches point-in-time recovery on (a new, empty log in
    /// every shard; restorable from now) or off (the log is dropped), or changes the recovery
    /// period of an enabled table (the log is kept). `tableName` may be the table's ARN.
    public func updateContinuousBackups(tableName: String, enabled: Bool,
                                        recoveryPeriodInDays: Int? = nil) async throws(ShoalError) -> ContinuousBackupsDescription {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        if let days = recoveryPeriodInDays {
            guard enabled else {
                throw .validation("RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
            }
            try ConstraintViolations.requireRange(days, field: "pointInTimeRecoverySpecification.recoveryPeriodInDays", min: 1, max: 35)
        }
        let name = Database.tableName(fromNameOrArn: tableName)
        guard let handle = lookup(name) else { throw ShoalError(.tableNotFoundException, "Table not found: \(name)") }
        if handle.definition.isLoading {
            throw ShoalError(.tableInUse, "Table is being \(handle.definition.importArn == nil ? "restored" : "imported"): \(name)")
        }
        let now = options.clock.now
        let changed = try await alterTable(name, id: handle.definition.id) { table throws(ShoalError) in
            if !enabled {
                table.pointInTimeRecovery = nil
            } else if var current = table.pointInTimeRecovery {
                if let days = recoveryPeriodInDays { current.recoveryPeriodInDays = days }
                table.pointInTimeRecovery = current
            } else {
                table.pointInTimeRecovery = PointInTimeRecoveryState(
                    logID: String(UInt64.random(in: 0...UInt64.max), radix: 36), since: now.timeIntervalSince1970,
                    recoveryPeriodInDays: recoveryPeriodInDays ?? 35)
            }
        }
        return Database.continuousBackups(changed.definition.pointInTimeRecovery, now: now)
    }

    static func continuousBackups(_ state: PointInTimeRecoveryState?, now: Date) -> ContinuousBackupsDescription {
        guard let state else { return ContinuousBackupsDescription(pointInTimeRecoveryDescription: .init(status: .disabled)) }
        let window = state.window(now: now)
        return ContinuousBackupsDescription(pointInTimeRecoveryDescription: PointInTimeRecoveryDescription(
            status: .enabled, recoveryPeriodInDays: state.recoveryPeriodInDays,
            earliestRestorableDateTime: window.earliest, latestRestorableDateTime: window.latest))
    }
}

extension Database {
    /// How often the recovery logs are trimmed to their tables' recovery periods.
    static let recoveryTrimInterval: Duration = .seconds(60)

    /// Starts the background trimming of recovery logs (a loop of the background jobs).
    func startRecoveryRetention() {
        guard !options.readOnly else { return }
        jobs.startLoop("point-in-time recovery retention", every: Database.recoveryTrimInterval) { [weak self] in
            await self?.trimRecoveryLogs(now: self?.options.clock.now ?? Date())
        }
    }

    /// Deletes, from every table's recovery log, the entries no restore can need any more: those
    /// older than the earliest restorable instant, in small writer units.
    func trimRecoveryLogs(now: Date) async {
        for name in tableNames() {
            guard let handle = lookup(name), let state = handle.definition.pointInTimeRecovery else { continue }
            let cutoff = RecoveryLog.micros(state.window(now: now).earliest)
            for (index, storage) in handle.storages.enumerated() {
                guard let log = storage.recoveryLog else { continue }
                while true {
                    do {
                        let trimmed = try await shards[index].writer.perform { context in
                            try context.trimRecoveryLog(log, before: cutoff, limit: Database.trimBatch)
                        }
                        if trimmed < Database.trimBatch { break }
                    } catch {
                        jobs.report("point-in-time recovery retention of \(name)", error)
                        break
                    }
                }
            }
        }
    }
}
