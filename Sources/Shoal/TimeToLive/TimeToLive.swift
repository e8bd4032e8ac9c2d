import Foundation
import Synchronization

public enum TimeToLiveStatus: String, Sendable {
    case enabling = "ENABLING"
    case disabling = "DISABLING"
    case enabled = "ENABLED"
    case disabled = "DISABLED"
}

/// DescribeTimeToLive's answer (`TimeToLiveDescription`).
public struct TimeToLiveDescription: Sendable, Equatable {
    public var status: TimeToLiveStatus
    /// The attribute holding the expiry time (absent while disabled).
    public var attributeName: String?
}

/// UpdateTimeToLive's `TimeToLiveSpecification`.
public struct TimeToLiveSpecification: Sendable, Equatable {
    public var enabled: Bool
    public var attributeName: String

    public init(enabled: Bool, attributeName: String) {
        self.enabled = enabled
        self.attributeName = attributeName
    }
}

extension Database {
    /// Items deleted per writer unit, so the expirer never holds writers up for long.
    static let expiryBatch = 128

    /// DynamoDB's DescribeTimeToLive: ENABLED as soon as UpdateTimeToLive returned, as DynamoDB
    /// answers (its ENABLING is never observable); putting the stored items in the expiry order
    /// goes on in the background and only delays their deletion, which TTL never promises at once.
    public func describeTimeToLive(_ tableName: String) throws(ShoalError) -> TimeToLiveDescription {
        guard let state = try handle(tableName).definition.timeToLive else { return TimeToLiveDescription(status: .disabled) }
        return TimeToLiveDescription(status: .enabled, attributeName: state.attributeName)
    }

    /// DynamoDB's UpdateTimeToLive: enables (items whose `attributeName` is a number of epoch
    /// seconds in the past are deleted by the background expirer) or disables time to live.
    /// - Throws: `ValidationException` when it is already in that state or enabled on another attribute.
    @discardableResult
    public func updateTimeToLive(_ tableName: String, _ specification: TimeToLiveSpecification) async throws(ShoalError) -> TimeToLiveSpecification {
        let name = specification.attributeName
        guard !name.isEmpty else {
            throw .validation("1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard name.utf8.count <= 255 else {
            throw .validation("1 validation error detected: Value '\(name)' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to 255")
        }
        let handle = try handle(tableName)
        let tableID = handle.definition.id
        // Through the schema funnel: every shard starts (or stops) keeping the expiry order.
        try await alterTable(tableName, id: tableID) { definition throws(ShoalError) in
            switch (definition.timeToLive, specification.enabled) {
            case (nil, false):
                throw .validation("TimeToLive is already disabled")
            case let (current?, true) where current.attributeName == name:
                throw .validation("TimeToLive is already enabled")
            case let (current?, _) where current.attributeName != name:
                throw .validation("TimeToLive is active on a different AttributeName: current AttributeName is \(current.attributeName)")
            case (nil, true):
                definition.timeToLive = TimeToLiveState(attributeName: name, backfilling: true)
            default:
                definition.timeToLive = nil
            }
        }
        if specification.enabled {
            jobs.start("expiry backfill \(tableName)", retrying: true) { [self] in try await backfillExpiry(tableName: tableName, tableID: tableID) }
        }
        return specification
    }

    /// Puts a table's stored items in the expiry order, shard by shard in small units, then
    /// records time to live as ENABLED. Resumed on open after a crash.
    func backfillExpiry(tableName: String, tableID: String) async throws {
        for shard in shards {
            var after: [UInt8]?
            repeat {
                let from = after
                after = try await shard.writer.perform { try $0.backfillExpiry(tableID, after: from, limit: 512) }
            } while after != nil
        }
        _ = try changeDefinition(tableName) { definition throws(ShoalError) in
            guard definition.id == tableID, definition.timeToLive != nil else { throw .resourceNotFound }
            definition.timeToLive?.backfilling = false
        }
    }

    func resumeExpiryBackfills() {
        guard !options.readOnly else { return }
        for name in tableNames() {
            guard let handle = lookup(name), handle.definition.timeToLive?.backfilling == true else { continue }
            let tableID = handle.definition.id
            jobs.start("expiry backfill \(name)", retrying: true) { [self] in try await backfillExpiry(tableName: name, tableID: tableID) }
        }
    }

    /// Starts the background expirer: every `timeToLivePeriod`, each shard deletes its due items
    /// (a loop of the background jobs: cancelled and awaited on shutdown).
    func startExpirer() {
        guard !options.readOnly else { return }
        jobs.startLoop("time to live expirer", every: options.timeToLivePeriod) { [weak self] in
            _ = await self?.expireDueItems(now: self?.options.clock.now ?? Date())
        }
    }

    /// Deletes every item due at `now` at once instead of waiting for the background expirer
    /// (each shard in units of ``expiryBatch`` items, between which other writes run).
    /// - Returns: how many items it deleted.
    @discardableResult
    public func expireDueItems(now: Date? = nil) async -> Int {
        let now = now ?? options.clock.now
        var deleted = 0
        for shard in shards {
            while !Task.isCancelled {
                let done: (examined: Int, deleted: Int)
                do {
                    done = try await shard.writer.perform({ try $0.expire(now: now, limit: Database.expiryBatch) })
                } catch {
                    jobs.report("time to live expirer, shard \(shard.index)", error)
                    break
                }
                deleted += done.deleted
                if done.examined < Database.expiryBatch { break }
            }
        }
        return deleted
    }
}

extension Table {
    /// Enables time to live on `attribute` (a number of epoch seconds), or disables it (nil).
    public func timeToLive(attribute: String?) async throws(ShoalError) {
        if let attribute {
            try await database.updateTimeToLive(name, TimeToLiveSpecification(enabled: true, attributeName: attribute))
        } else if let current = try database.describeTimeToLive(name).attributeName {
            try await database.updateTimeToLive(name, TimeToLiveSpecification(enabled: false, attributeName: current))
        }
    }
}
