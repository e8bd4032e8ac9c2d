import Foundation
import Synchronization

/// `ACCESSED_AND_THROTTLED_KEYS` or `THROTTLED_KEYS`.
public enum ContributorInsightsMode: String, Sendable, Codable, CaseIterable {
    case accessedAndThrottledKeys = "ACCESSED_AND_THROTTLED_KEYS"
    case throttledKeys = "THROTTLED_KEYS"
}

/// `ENABLING`, `ENABLED`, `DISABLING`, `DISABLED` or `FAILED`.
public enum ContributorInsightsStatus: String, Sendable {
    case enabling = "ENABLING"
    case enabled = "ENABLED"
    case disabling = "DISABLING"
    case disabled = "DISABLED"
}

/// One of the four rules DynamoDB keeps per table or index: the most accessed and most throttled
/// partition keys (`PKC`, `PKT`) and items by partition and sort key (`SKC`, `SKT`).
public enum ContributorRule: String, Sendable, CaseIterable {
    case accessedPartitions = "PKC"
    case throttledPartitions = "PKT"
    case accessedItems = "SKC"
    case throttledItems = "SKT"

    var throttled: Bool { self == .throttledPartitions || self == .throttledItems }
}

/// Contributor insights on a table or index, as kept in the table's definition (by index name;
/// the empty name is the table).
struct ContributorInsightsState: Sendable, Codable, Equatable {
    var mode: ContributorInsightsMode
    var updatedAt: Double
}

/// DynamoDB's DescribeContributorInsights answer (and a ListContributorInsights summary).
public struct ContributorInsightsDescription: Sendable, Equatable {
    public var tableName: String
    public var indexName: String?
    public var status: ContributorInsightsStatus
    public var mode: ContributorInsightsMode?
    public var lastUpdateDateTime: Date?
    /// The rules' names, as DynamoDB names them (`DynamoDBContributorInsights-PKC-…`), while enabled.
    public var ruleList: [String]
}

/// A key among the most accessed or throttled: its values (partition, then sort) and its count,
/// an upper bound that is at most `error` over the truth.
public struct Contributor: Sendable, Equatable {
    public var keys: [AttributeValue]
    public var count: Int
    public var error: Int
}

/// The heavy-hitter sketches of every table and index with contributor insights on: per rule, one
/// Space-Saving sketch per minute for the last ``windowMinutes`` minutes. Memory is bounded
/// (``capacity`` counters per sketch) whatever the traffic; the counts live in memory only.
final class ContributorInsightsService: Sendable {
    static let capacity = 128
    static let windowMinutes = 15

    struct Key: Hashable, Sendable {
        var partition: AttributeValue
        var sort: AttributeValue?
    }

    private struct Minute {
        var minute: Int
        var sketches: [ContributorRule: SpaceSaving<Key>]
    }

    /// By table id, then index name ("" for the table).
    private let state = Mutex<[String: [String: [Minute]]]>([:])

    func record(tableID: String, index: String, keys: [Key], throttled: Bool, now: Date = Date()) {
        guard !keys.isEmpty else { return }
        let minute = Int(now.timeIntervalSince1970 / 60)
        let rules: [ContributorRule] = throttled ? ContributorRule.allCases : [.accessedPartitions, .accessedItems]
        state.withLock { state in
            var minutes = state[tableID, default: [:]][index, default: []]
            if minutes.last?.minute != minute {
                minutes.append(Minute(minute: minute, sketches: [:]))
                minutes.removeAll { $0.minute <= minute - ContributorInsightsService.windowMinutes }
            }
            var sketches = minutes[minutes.count - 1].sketches
            for rule in rules {
                var sketch = sketches[rule] ?? SpaceSaving(capacity: ContributorInsightsService.capacity)
                for key in keys {
                    sketch.add(rule == .accessedPartitions || rule == .throttledPartitions ? Key(partition: key.partition) : key)
                }
                sketches[rule] = sketch
            }
            minutes[minutes.count - 1].sketches = sketches
            state[tableID, default: [:]][index] = minutes
        }
    }

    /// The `limit` top contributors of a rule over the last `minutes` minutes.
    func top(tableID: String, index: String, rule: ContributorRule, minutes: Int, limit: Int, now: Date = Date()) -> [Contributor] {
        let current = Int(now.timeIntervalSince1970 / 60)
        let merged = state.withLock { state -> SpaceSaving<Key> in
            var merged = SpaceSaving<Key>(capacity: ContributorInsightsService.capacity)
            for minute in state[tableID]?[index] ?? [] where minute.minute > current - minutes {
                if let sketch = minute.sketches[rule] { merged.merge(sketch) }
            }
            return merged
        }
        return merged.top(limit).map { Contributor(keys: [$0.key.partition] + ($0.key.sort.map { [$0] } ?? []), count: $0.count, error: $0.error) }
    }

    func forget(tableID: String, index: String? = nil) {
        state.withLock { state in
            if let index { state[tableID]?[index] = nil } else { state[tableID] = nil }
        }
    }
}

extension Database {
    /// DynamoDB's UpdateContributorInsights: ENABLE or DISABLE on the table or one of its indexes.
    public func updateContributorInsights(tableName: String, indexName: String? = nil, enable: Bool,
                                          mode: ContributorInsightsMode? = nil) throws(ShoalError) -> ContributorInsightsDescription {
        guard let handle = lookup(tableName) else { throw .tableNotFound(tableName) }
        if let indexName, !handle.definition.allIndexes.contains(where: { $0.name == indexName }) {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Index: \(indexName) not found")
        }
        let key = indexName ?? ""
        let now = Date().timeIntervalSince1970
        let changed = try changeDefinition(tableName, id: handle.definition.id) { table throws(ShoalError) in
            var all = table.contributorInsights ?? [:]
            if enable {
                all[key] = ContributorInsightsState(mode: mode ?? all[key]?.mode ?? .accessedAndThrottledKeys, updatedAt: now)
            } else {
                all[key] = nil
            }
            table.contributorInsights = all.isEmpty ? nil : all
        }
        if !enable { insights.forget(tableID: handle.definition.id, index: key) }
        var description = describe(changed.definition, index: indexName)
        description.status = enable ? .enabling : .disabling
        return description
    }

    /// DynamoDB's DescribeContributorInsights.
    public func describeContributorInsights(tableName: String, indexName: String? = nil) throws(ShoalError) -> ContributorInsightsDescription {
        guard let definition = lookup(tableName)?.definition else { throw .tableNotFound(tableName) }
        if let indexName, !definition.allIndexes.contains(where: { $0.name == indexName }) {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Index: \(indexName) not found")
        }
        return describe(definition, index: indexName)
    }

    /// DynamoDB's ListContributorInsights: every table and index with insights on (of `tableName` only, when given).
    public func listContributorInsights(tableName: String? = nil) throws(ShoalError) -> [ContributorInsightsDescription] {
        if let tableName, lookup(tableName) == nil { throw .tableNotFound(tableName) }
        let names = tableName.map { [$0] } ?? tableNames().sorted()
        return names.flatMap { name -> [ContributorInsightsDescription] in
            guard let definition = lookup(name)?.definition, let all = definition.contributorInsights else { return [] }
            return all.keys.sorted().map { describe(definition, index: $0.isEmpty ? nil : $0) }
        }
    }

    private func describe(_ definition: TableDefinition, index: String?) -> ContributorInsightsDescription {
        guard let state = definition.contributorInsights?[index ?? ""] else {
            return ContributorInsightsDescription(tableName: definition.name, indexName: index, status: .disabled, ruleList: [])
        }
        let stamp = String(Int(state.updatedAt * 1000))
        let subject = definition.name + (index.map { "-" + $0 } ?? "")
        let rules: [ContributorRule] = state.mode == .throttledKeys ? [.throttledPartitions, .throttledItems] : ContributorRule.allCases
        return ContributorInsightsDescription(
            tableName: definition.name, indexName: index, status: .enabled, mode: state.mode,
            lastUpdateDateTime: Date(timeIntervalSince1970: state.updatedAt),
            ruleList: rules.map { "DynamoDBContributorInsights-\($0.rawValue)-\(subject)-\(stamp)" })
    }

    /// Counts accesses to `items` (or their keys) of a table or index with insights on; `throttled`
    /// counts them as throttled too. Items without the key attributes are skipped.
    public func recordContributors(tableName: String, indexName: String? = nil, items: [Item], throttled: Bool = false) {
        guard let definition = lookup(tableName)?.definition, let state = definition.contributorInsights?[indexName ?? ""] else { return }
        guard throttled || state.mode == .accessedAndThrottledKeys else { return }
        let schema: [KeySchemaElement]
        if let indexName {
            guard let index = definition.allIndexes.first(where: { $0.name == indexName }) else { return }
            schema = index.keySchema
        } else {
            schema = definition.primaryKey.keySchema
        }
        guard let partitionName = schema.first(where: { $0.keyType == .hash })?.attributeName else { return }
        let sortName = schema.first(where: { $0.keyType == .range })?.attributeName
        let keys = items.compactMap { item -> ContributorInsightsService.Key? in
            guard let partition = item[partitionName] else { return nil }
            return ContributorInsightsService.Key(partition: partition, sort: sortName.flatMap { item[$0] })
        }
        insights.record(tableID: definition.id, index: indexName ?? "", keys: keys, throttled: throttled)
    }

    /// The top contributors of a rule over the last `minutes` minutes (at most the 15 kept).
    public func contributors(tableName: String, indexName: String? = nil, rule: ContributorRule, minutes: Int = 15,
                             limit: Int = 10) throws(ShoalError) -> [Contributor] {
        guard let definition = lookup(tableName)?.definition else { throw .tableNotFound(tableName) }
        guard definition.contributorInsights?[indexName ?? ""] != nil else { return [] }
        return insights.top(tableID: definition.id, index: indexName ?? "", rule: rule,
                            minutes: min(max(minutes, 1), ContributorInsightsService.windowMinutes), limit: limit)
    }
}

extension Database {
    /// Whether the table or any of its indexes has contributor insights on.
    public func hasContributorInsights(tableName: String) -> Bool {
        lookup(tableName)?.definition.contributorInsights != nil
    }

    /// Every table and index with contributor insights on: (table, index) names.
    public func contributorInsightsSubjects() -> [(table: String, index: String?)] {
        tableNames().sorted().flatMap { name -> [(table: String, index: String?)] in
            guard let all = lookup(name)?.definition.contributorInsights else { return [] }
            return all.keys.sorted().map { (name, $0.isEmpty ? nil : $0) }
        }
    }
}
