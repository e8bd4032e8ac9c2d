import Foundation

/// `PROVISIONED` or `PAY_PER_REQUEST`. Shoal accepts both and throttles neither.
public enum BillingMode: String, Sendable, Codable, CaseIterable {
    case provisioned = "PROVISIONED"
    case payPerRequest = "PAY_PER_REQUEST"
}

public enum TableStatus: String, Sendable, Codable {
    case creating = "CREATING"
    case updating = "UPDATING"
    case deleting = "DELETING"
    case active = "ACTIVE"
}

public struct ProvisionedThroughput: Sendable, Codable, Equatable {
    public var readCapacityUnits: Int64
    public var writeCapacityUnits: Int64

    public init(readCapacityUnits: Int64, writeCapacityUnits: Int64) {
        self.readCapacityUnits = readCapacityUnits
        self.writeCapacityUnits = writeCapacityUnits
    }
}

/// A table's definition as the catalog stores it.
struct TableDefinition: Sendable, Codable, Equatable {
    var name: String
    /// Stable identifier, also naming the table's databases in every shard.
    var id: String
    var primaryKey: PrimaryKey
    var attributeDefinitions: [AttributeDefinition]
    var billingMode: BillingMode
    var provisionedThroughput: ProvisionedThroughput?
    var creationDate: Double
    /// TagResource's tags (absent in catalogs written before tags existed).
    var tags: [String: String]?
    /// Global and local secondary indexes (absent in catalogs written before indexes existed).
    var indexes: [IndexDefinition]?
    /// The table's newest change stream (absent when it never had one); enabled while not ended.
    var stream: StreamDefinition?
    /// Time to live, when enabled (absent in catalogs written before TTL existed).
    var timeToLive: TimeToLiveState?
    /// Set on a table restored from a backup (absent otherwise).
    var restore: RestoreState?
    /// Deletion protection, table class and encryption settings (absent when none was ever set).
    var settings: TableSettings?
    /// Point-in-time recovery, while enabled (absent otherwise).
    var pointInTimeRecovery: PointInTimeRecoveryState?
    /// The ImportTable job loading the table, until it has (the table is CREATING meanwhile).
    var importArn: String?
    /// The resource-based policies attached to the table and to its streams (by stream label).
    var policies: AttachedPolicies?
    /// Contributor insights, by index name ("" for the table), while enabled.
    var contributorInsights: [String: ContributorInsightsState]?

    /// Whether the table's items are still being loaded (a restore or an import): it is CREATING
    /// and data operations do not find it.
    var isLoading: Bool { restore?.inProgress == true || importArn != nil }

    var liveStream: StreamDefinition? { stream.flatMap { $0.endedAt == nil ? $0 : nil } }
}

/// What DescribeTable, CreateTable and DeleteTable return.
public struct TableDescription: Sendable, Equatable {
    public var tableName: String
    public var tableStatus: TableStatus
    public var keySchema: [KeySchemaElement]
    public var attributeDefinitions: [AttributeDefinition]
    public var billingMode: BillingMode
    public var provisionedThroughput: ProvisionedThroughput?
    public var itemCount: Int
    public var tableSizeBytes: Int
    public var creationDateTime: Date
    public var tableArn: String
    public var tableId: String
    public var globalSecondaryIndexes: [IndexDescription]?
    public var localSecondaryIndexes: [IndexDescription]?
    /// The stream setting (absent when the table never had a stream).
    public var streamSpecification: StreamSpecification?
    /// The ARN and label of the table's newest stream.
    public var latestStreamArn: String?
    public var latestStreamLabel: String?
    /// Where a restored table came from.
    public var restoreSummary: RestoreSummary?
    /// DeleteTable is refused while this is on.
    public var deletionProtectionEnabled = false
    /// Present once a table class was set.
    public var tableClassSummary: TableClassSummary?
    /// Present when a KMS key encrypts the table (as recorded).
    public var sseDescription: SSEDescription?
    /// Present when set.
    public var onDemandThroughput: OnDemandThroughput?
    /// Present when set (its status is ACTIVE).
    public var warmThroughput: WarmThroughput?
}

/// DynamoDB's `RestoreSummary`.
public struct RestoreSummary: Sendable, Equatable {
    /// Absent for a restore to a point in time.
    public var sourceBackupArn: String?
    public var sourceTableArn: String
    public var restoreDateTime: Date
    public var restoreInProgress: Bool
}

/// A restored table's origin, and whether its items are still being loaded (the table is
/// CREATING and refuses data operations until they are).
struct RestoreState: Sendable, Codable, Equatable {
    /// The backup restored; absent for a restore to a point in time.
    var sourceBackupArn: String?
    var sourceTableArn: String
    /// The backup's time, or the point in time restored to.
    var restoredAt: Double
    var inProgress: Bool
    /// A restore to a point in time: the source table (its name and id when the restore began).
    var sourceTableName: String?
    var sourceTableID: String?
}

extension TableDefinition {
    /// - Parameter indexStatistics: each index's entry count and size, by index id.
    func describe(status: TableStatus, itemCount: Int, sizeBytes: Int, region: String,
                  indexStatistics: [String: (count: Int, size: Int)] = [:]) -> TableDescription {
        let arn = "arn:aws:dynamodb:\(region):000000000000:table/\(name)"
        func description(_ index: IndexDefinition) -> IndexDescription {
            let stats = indexStatistics[index.id] ?? (0, 0)
            return IndexDescription(
                indexName: index.name, keySchema: index.keySchema, projection: index.projection,
                indexStatus: index.isGlobal ? index.status : nil,
                backfilling: index.isGlobal && index.status == .creating ? true : nil,
                indexSizeBytes: stats.size, itemCount: stats.count, indexArn: arn + "/index/" + index.name,
                provisionedThroughput: index.isGlobal ? index.provisionedThroughput : nil)
        }
        let globals = allIndexes.filter(\.isGlobal).map(description)
        let locals = allIndexes.filter { !$0.isGlobal }.map(description)
        var description = TableDescription(
            tableName: name, tableStatus: isLoading ? .creating : status, keySchema: primaryKey.keySchema,
            attributeDefinitions: attributeDefinitions, billingMode: billingMode,
            provisionedThroughput: provisionedThroughput, itemCount: itemCount, tableSizeBytes: sizeBytes,
            creationDateTime: Date(timeIntervalSince1970: creationDate),
            tableArn: arn, tableId: id,
            globalSecondaryIndexes: globals.isEmpty ? nil : globals, localSecondaryIndexes: locals.isEmpty ? nil : locals,
            streamSpecification: stream.map { $0.endedAt == nil ? .enabled($0.viewType) : StreamSpecification(streamEnabled: false) },
            latestStreamArn: stream?.arn(region: region),
            latestStreamLabel: stream?.label,
            restoreSummary: restore.map {
                RestoreSummary(sourceBackupArn: $0.sourceBackupArn, sourceTableArn: $0.sourceTableArn,
                               restoreDateTime: Date(timeIntervalSince1970: $0.restoredAt), restoreInProgress: $0.inProgress)
            })
        description.deletionProtectionEnabled = settings?.deletionProtection ?? false
        if let tableClass = settings?.tableClass {
            description.tableClassSummary = TableClassSummary(
                tableClass: tableClass, lastUpdateDateTime: Date(timeIntervalSince1970: settings?.tableClassUpdated ?? creationDate))
        }
        description.sseDescription = TableSettingRules.describe(settings?.sse, region: region)
        description.onDemandThroughput = settings?.onDemandThroughput
        description.warmThroughput = settings?.warmThroughput
        return description
    }
}
