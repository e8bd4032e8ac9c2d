import Shoal

/// The operations of features that need more than one machine (global tables and their replicas'
/// auto scaling) or another AWS service (Kinesis Data Streams), answered as DynamoDB answers for a
/// table that has none configured; what would configure one is refused with a message that says
/// what Shoal offers instead.
struct ReplicationOperations: Sendable {
    let database: Database

    private static let noReplicas = "Shoal keeps one copy of each table on one machine and has no replicas; point the same client code at DynamoDB or ScyllaDB Alternator for replication"
    private static let noKinesis = "Shoal has no Kinesis Data Streams destination; read the table's changes through DynamoDB Streams (ListStreams, GetShardIterator, GetRecords) or run a function on them with an event source mapping (Lambda's CreateEventSourceMapping or --triggers)"

    private func existing(_ r: RequestReader) throws(ProtocolError) -> TableDescription {
        let name = try r.requiredString("TableName")
        return try engine { () throws(ShoalError) in try database.describeTable(name).table }
    }

    func describeKinesisStreamingDestination(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try existing(r)
        return .object([("TableName", .string(table.tableName)), ("KinesisDataStreamDestinations", .array([]))])
    }

    /// Enable, Disable and UpdateKinesisStreamingDestination.
    func changeKinesisStreamingDestination(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        _ = try existing(r)
        _ = try r.requiredString("StreamArn")
        throw .validation(ReplicationOperations.noKinesis)
    }

    private func autoScalingDescription(_ table: TableDescription) -> JSONValue {
        .object([("TableAutoScalingDescription", .object([
            ("TableName", .string(table.tableName)), ("TableStatus", .string(table.tableStatus.rawValue)), ("Replicas", .array([])),
        ]))])
    }

    func describeTableReplicaAutoScaling(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        autoScalingDescription(try existing(r))
    }

    /// Nothing to scale without replicas: an update naming one is refused, any other answers the description.
    func updateTableReplicaAutoScaling(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try existing(r)
        if let replicas = try r.array("ReplicaUpdates"), !replicas.isEmpty {
            throw .validation(ReplicationOperations.noReplicas)
        }
        return autoScalingDescription(table)
    }

    func listGlobalTables(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        if let limit = try r.int("Limit") {
            try engine { () throws(ShoalError) in try ConstraintViolations.requireRange(limit, field: "limit", min: 1, max: 100) }
        }
        return .object([("GlobalTables", .array([]))])
    }

    /// DescribeGlobalTable and DescribeGlobalTableSettings: no table is a global table.
    func describeGlobalTable(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("GlobalTableName")
        throw ProtocolError(ShoalError(.globalTableNotFound, "Global table not found: Global table with name: \(name) does not exist."))
    }

    /// CreateGlobalTable, UpdateGlobalTable and UpdateGlobalTableSettings.
    func changeGlobalTable(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        _ = try r.requiredString("GlobalTableName")
        throw .validation(ReplicationOperations.noReplicas)
    }
}
