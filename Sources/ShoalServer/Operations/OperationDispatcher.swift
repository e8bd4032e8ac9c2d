import Shoal

/// Routes `X-Amz-Target: DynamoDB_20120810.<Operation>` (and DynamoDB Streams'
/// `DynamoDBStreams_20120810.<Operation>`) to the operation that handles it.
struct OperationDispatcher: Sendable {
    static let targetPrefix = "DynamoDB_20120810."
    static let streamsTargetPrefix = "DynamoDBStreams_20120810."
    /// Shoal's own operations on the whole data directory, which DynamoDB has no counterpart for.
    static let adminTargetPrefix = "ShoalAdmin_20261126."

    let tables: TableOperations
    let items: ItemOperations
    let reads: ReadOperations
    let batches: BatchOperations
    let transactions: TransactionOperations
    let streams: StreamOperations
    let partiQL: PartiQLOperations
    let replication: ReplicationOperations
    let transfers: TransferOperations
    let insights: ContributorInsightsOperations

    /// The database every operation of this dispatcher works on.
    let database: Database

    /// `jobs`: the server's export and import jobs (nil: those operations are refused).
    init(database: Database, jobs: TransferJobs? = nil) {
        self.database = database
        transfers = TransferOperations(database: database, jobs: jobs)
        insights = ContributorInsightsOperations(database: database)
        tables = TableOperations(database: database)
        items = ItemOperations(database: database)
        reads = ReadOperations(database: database)
        batches = BatchOperations(database: database)
        transactions = TransactionOperations(database: database)
        streams = StreamOperations(database: database)
        partiQL = PartiQLOperations(database: database)
        replication = ReplicationOperations(database: database)
    }

    /// The operation name of a target header, or nil when it is not one of ours.
    static func operation(fromTarget target: String?) -> String? {
        guard let target else { return nil }
        if target.hasPrefix(targetPrefix) {
            let name = String(target.dropFirst(targetPrefix.count))
            return supported.contains(name) ? name : nil
        }
        if target.hasPrefix(streamsTargetPrefix) {
            let name = String(target.dropFirst(streamsTargetPrefix.count))
            return streamsSupported.contains(name) ? name : nil
        }
        if target.hasPrefix(adminTargetPrefix) {
            let name = String(target.dropFirst(adminTargetPrefix.count))
            return adminSupported.contains(name) ? name : nil
        }
        return nil
    }

    static let streamsSupported: Set<String> = ["ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"]
    static let adminSupported: Set<String> = ["BackupDataDirectory", "ReshardDataDirectory", "DescribeReshard", "DescribeBackgroundJobs",
                                              "GetContributorInsightsReport", "InjectFault", "ClearFaults",
                                              "CreateSnapshot", "RestoreSnapshot", "DeleteSnapshot", "ListSnapshots", "ResetDatabase",
                                              "GetClock", "SetClock", "AdvanceClock"]

    static let supported: Set<String> = [
        "CreateTable", "DeleteTable", "DescribeTable", "ListTables", "UpdateTable",
        "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
        "TransactWriteItems", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
        "TagResource", "UntagResource", "ListTagsOfResource", "DescribeEndpoints", "DescribeLimits",
        "DescribeTimeToLive", "UpdateTimeToLive", "DescribeContinuousBackups", "UpdateContinuousBackups", "RestoreTableToPointInTime",
        "CreateBackup", "DescribeBackup", "ListBackups", "DeleteBackup", "RestoreTableFromBackup",
        "DescribeKinesisStreamingDestination", "EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination",
        "UpdateKinesisStreamingDestination", "DescribeTableReplicaAutoScaling", "UpdateTableReplicaAutoScaling",
        "ListGlobalTables", "DescribeGlobalTable", "DescribeGlobalTableSettings", "CreateGlobalTable", "UpdateGlobalTable",
        "UpdateGlobalTableSettings", "ExportTableToPointInTime", "DescribeExport", "ListExports", "ImportTable", "DescribeImport",
        "ListImports", "PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy", "UpdateContributorInsights",
        "DescribeContributorInsights", "ListContributorInsights",
    ]

    func dispatch(_ operation: String, body: JSONValue, context: OperationContext) async throws(ProtocolError) -> JSONValue {
        try await InjectedFaults.apply(database, operation: operation, body: body, region: context.region)
        let response: JSONValue
        do {
            response = try await route(operation, body: body, context: context)
        } catch {
            if error.throttlingReasons != nil {
                ContributorRecording.record(database, operation: operation, body: body, response: .object([]), throttled: true)
            }
            throw error
        }
        ContributorRecording.record(database, operation: operation, body: body, response: response)
        return response
    }

    private func route(_ operation: String, body: JSONValue, context: OperationContext) async throws(ProtocolError) -> JSONValue {
        let r = try RequestReader(body)
        switch operation {
        case "CreateTable": return try await tables.createTable(r, context)
        case "DeleteTable": return try await tables.deleteTable(r, context)
        case "DescribeTable": return try tables.describeTable(r, context)
        case "ListTables": return try tables.listTables(r)
        case "UpdateTable": return try await tables.updateTable(r, context)
        case "DescribeTimeToLive": return try tables.describeTimeToLive(r)
        case "UpdateTimeToLive": return try await tables.updateTimeToLive(r)
        case "DescribeContinuousBackups": return try tables.describeContinuousBackups(r)
        case "UpdateContinuousBackups": return try await tables.updateContinuousBackups(r)
        case "RestoreTableToPointInTime": return try await tables.restoreTableToPointInTime(r, context)
        case "CreateBackup": return try await tables.createBackup(r)
        case "DescribeBackup": return try tables.describeBackup(r, context)
        case "ListBackups": return try tables.listBackups(r)
        case "DeleteBackup": return try tables.deleteBackup(r, context)
        case "RestoreTableFromBackup": return try await tables.restoreTableFromBackup(r, context)
        case "TagResource": return try tables.tagResource(r)
        case "UntagResource": return try tables.untagResource(r)
        case "ListTagsOfResource": return try tables.listTagsOfResource(r)
        case "DescribeEndpoints": return tables.describeEndpoints(context)
        case "DescribeLimits": return tables.describeLimits()
        case "PutItem": return try await items.putItem(r)
        case "GetItem": return try await items.getItem(r)
        case "UpdateItem": return try await items.updateItem(r)
        case "DeleteItem": return try await items.deleteItem(r)
        case "Query": return try await reads.query(r)
        case "Scan": return try await reads.scan(r)
        case "BatchGetItem": return try await batches.batchGetItem(r)
        case "BatchWriteItem": return try await batches.batchWriteItem(r)
        case "TransactWriteItems": return try await transactions.transactWriteItems(r)
        case "TransactGetItems": return try await transactions.transactGetItems(r)
        case "ExecuteStatement": return try await partiQL.executeStatement(r)
        case "BatchExecuteStatement": return try await partiQL.batchExecuteStatement(r)
        case "ExecuteTransaction": return try await partiQL.executeTransaction(r)
        case "DescribeKinesisStreamingDestination": return try replication.describeKinesisStreamingDestination(r)
        case "EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination":
            return try replication.changeKinesisStreamingDestination(r)
        case "DescribeTableReplicaAutoScaling": return try replication.describeTableReplicaAutoScaling(r)
        case "UpdateTableReplicaAutoScaling": return try replication.updateTableReplicaAutoScaling(r)
        case "ListGlobalTables": return try replication.listGlobalTables(r)
        case "DescribeGlobalTable", "DescribeGlobalTableSettings": return try replication.describeGlobalTable(r)
        case "CreateGlobalTable", "UpdateGlobalTable", "UpdateGlobalTableSettings": return try replication.changeGlobalTable(r)
        case "UpdateContributorInsights": return try insights.update(r)
        case "DescribeContributorInsights": return try insights.describe(r)
        case "ListContributorInsights": return try insights.list(r)
        case "PutResourcePolicy": return try tables.putResourcePolicy(r, context)
        case "GetResourcePolicy": return try tables.getResourcePolicy(r)
        case "DeleteResourcePolicy": return try tables.deleteResourcePolicy(r)
        case "ExportTableToPointInTime": return try await transfers.exportTableToPointInTime(r)
        case "DescribeExport": return try transfers.describeExport(r)
        case "ListExports": return try transfers.listExports(r)
        case "ImportTable": return try await transfers.importTable(r, tables: tables)
        case "DescribeImport": return try transfers.describeImport(r)
        case "ListImports": return try transfers.listImports(r)
        case "ListStreams": return try streams.listStreams(r)
        case "DescribeStream": return try streams.describeStream(r)
        case "GetShardIterator": return try streams.getShardIterator(r)
        case "GetRecords": return try streams.getRecords(r, region: context.region)
        default: throw .unknownOperation(OperationDispatcher.targetPrefix + operation)
        }
    }
}
