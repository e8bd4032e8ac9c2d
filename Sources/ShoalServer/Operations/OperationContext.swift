import Shoal

/// What a request carries besides its body: the region it was signed for (ARNs use it) and the
/// address clients reached the server at (DescribeEndpoints returns it).
struct OperationContext: Sendable {
    var region: String
    var endpoint: String
    /// Who signed the request (under `--auth sigv4`).
    var principal: Principal? = nil
}

/// `ReturnConsumedCapacity`.
enum ReturnConsumedCapacity: String, CaseIterable {
    case indexes = "INDEXES"
    case total = "TOTAL"
    case none = "NONE"
}



/// Response pieces shared by the operations.
enum ResponseJSON {
    static func number(_ value: Double) -> JSONValue {
        .number(value == value.rounded() ? String(format: "%.1f", value) : "\(value)")
    }

    static func number(_ value: Int) -> JSONValue { .number(String(value)) }

    /// `ConsumedCapacity` for one table, or nil when not asked for. As DynamoDB: TOTAL is one
    /// figure (table and indexes) with no read/write split; INDEXES adds the table's own share
    /// under `Table` and each index's under `GlobalSecondaryIndexes` / `LocalSecondaryIndexes`.
    static func capacity(_ capacity: ConsumedCapacity, table: String, mode: ReturnConsumedCapacity?) -> JSONValue? {
        guard let mode, mode != .none else { return nil }
        var members: [(String, JSONValue)] = [("TableName", .string(table)), ("CapacityUnits", number(capacity.total))]
        if mode == .indexes {
            func units(_ value: Double) -> JSONValue { .object([("CapacityUnits", number(value))]) }
            members.append(("Table", units(capacity.table)))
            if !capacity.globalSecondaryIndexes.isEmpty {
                members.append(("GlobalSecondaryIndexes", .object(capacity.globalSecondaryIndexes.sorted { $0.key < $1.key }.map { ($0.key, units($0.value)) })))
            }
            if !capacity.localSecondaryIndexes.isEmpty {
                members.append(("LocalSecondaryIndexes", .object(capacity.localSecondaryIndexes.sorted { $0.key < $1.key }.map { ($0.key, units($0.value)) })))
            }
        }
        return .object(members)
    }

    /// One `ItemCollectionMetrics` value.
    static func collectionMetrics(_ m: ItemCollectionMetrics) -> JSONValue {
        .object([("ItemCollectionKey", AttributeValueJSON.encode(m.itemCollectionKey)),
                 ("SizeEstimateRangeGB", .array(m.sizeEstimateRangeGB.map { number($0) }))])
    }

    static func tableArn(_ name: String, region: String) -> String {
        "arn:aws:dynamodb:\(region):000000000000:table/\(name)"
    }

    static func keySchema(_ schema: [KeySchemaElement]) -> JSONValue {
        .array(schema.map { .object([("AttributeName", .string($0.attributeName)), ("KeyType", .string($0.keyType.rawValue))]) })
    }

    static func projection(_ p: IndexProjection) -> JSONValue {
        var members: [(String, JSONValue)] = [("ProjectionType", .string(p.projectionType.rawValue))]
        if let names = p.nonKeyAttributes { members.append(("NonKeyAttributes", .array(names.map { .string($0) }))) }
        return .object(members)
    }

    /// One entry of `GlobalSecondaryIndexes` or `LocalSecondaryIndexes`.
    /// - Parameter tableArn: the table's ARN in the request's region (the index ARN extends it).
    static func index(_ d: IndexDescription, global: Bool, tableArn: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("IndexName", .string(d.indexName)),
            ("KeySchema", keySchema(d.keySchema)),
            ("Projection", projection(d.projection)),
        ]
        if let status = d.indexStatus { members.append(("IndexStatus", .string(status.rawValue))) }
        if let backfilling = d.backfilling { members.append(("Backfilling", .bool(backfilling))) }
        if global {
            members.append(("ProvisionedThroughput", .object([
                ("NumberOfDecreasesToday", .number("0")),
                ("ReadCapacityUnits", .number(String(d.provisionedThroughput?.readCapacityUnits ?? 0))),
                ("WriteCapacityUnits", .number(String(d.provisionedThroughput?.writeCapacityUnits ?? 0))),
            ])))
        }
        members.append(("IndexSizeBytes", number(d.indexSizeBytes)))
        members.append(("ItemCount", number(d.itemCount)))
        members.append(("IndexArn", .string(tableArn + "/index/" + d.indexName)))
        return .object(members)
    }

    static func tableDescription(_ d: TableDescription, region: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("AttributeDefinitions", .array(d.attributeDefinitions.map {
                .object([("AttributeName", .string($0.attributeName)), ("AttributeType", .string($0.attributeType.rawValue))])
            })),
            ("TableName", .string(d.tableName)),
            ("KeySchema", .array(d.keySchema.map {
                .object([("AttributeName", .string($0.attributeName)), ("KeyType", .string($0.keyType.rawValue))])
            })),
            ("TableStatus", .string(d.tableStatus.rawValue)),
            ("CreationDateTime", .number(String(format: "%.3f", d.creationDateTime.timeIntervalSince1970))),
            ("ProvisionedThroughput", .object([
                ("NumberOfDecreasesToday", .number("0")),
                ("ReadCapacityUnits", .number(String(d.provisionedThroughput?.readCapacityUnits ?? 0))),
                ("WriteCapacityUnits", .number(String(d.provisionedThroughput?.writeCapacityUnits ?? 0))),
            ])),
            ("TableSizeBytes", number(d.tableSizeBytes)),
            ("ItemCount", number(d.itemCount)),
            ("TableArn", .string(tableArn(d.tableName, region: region))),
            ("TableId", .string(d.tableId)),
            ("DeletionProtectionEnabled", .bool(d.deletionProtectionEnabled)),
        ]
        if let summary = d.tableClassSummary {
            members.append(("TableClassSummary", .object([
                ("TableClass", .string(summary.tableClass.rawValue)),
                ("LastUpdateDateTime", .number(String(format: "%.3f", summary.lastUpdateDateTime.timeIntervalSince1970))),
            ])))
        }
        if let limits = d.onDemandThroughput {
            var fields: [(String, JSONValue)] = []
            if let read = limits.maxReadRequestUnits { fields.append(("MaxReadRequestUnits", .number(String(read)))) }
            if let write = limits.maxWriteRequestUnits { fields.append(("MaxWriteRequestUnits", .number(String(write)))) }
            members.append(("OnDemandThroughput", .object(fields)))
        }
        if let warm = d.warmThroughput {
            var fields: [(String, JSONValue)] = []
            if let read = warm.readUnitsPerSecond { fields.append(("ReadUnitsPerSecond", .number(String(read)))) }
            if let write = warm.writeUnitsPerSecond { fields.append(("WriteUnitsPerSecond", .number(String(write)))) }
            fields.append(("Status", .string("ACTIVE")))
            members.append(("WarmThroughput", .object(fields)))
        }
        if let sse = d.sseDescription {
            members.append(("SSEDescription", .object([
                ("Status", .string(sse.status)), ("SSEType", .string(sse.sseType.rawValue)), ("KMSMasterKeyArn", .string(sse.kmsMasterKeyArn)),
            ])))
        }
        if let globals = d.globalSecondaryIndexes {
            members.append(("GlobalSecondaryIndexes", .array(globals.map { index($0, global: true, tableArn: tableArn(d.tableName, region: region)) })))
        }
        if let locals = d.localSecondaryIndexes {
            members.append(("LocalSecondaryIndexes", .array(locals.map { index($0, global: false, tableArn: tableArn(d.tableName, region: region)) })))
        }
        if let stream = d.streamSpecification {
            var specification: [(String, JSONValue)] = [("StreamEnabled", .bool(stream.streamEnabled))]
            if let viewType = stream.streamViewType { specification.append(("StreamViewType", .string(viewType.rawValue))) }
            members.append(("StreamSpecification", .object(specification)))
        }
        if let arn = d.latestStreamArn, let label = d.latestStreamLabel {
            members.append(("LatestStreamLabel", .string(label)))
            members.append(("LatestStreamArn", .string(arn)))
        }
        if let restore = d.restoreSummary {
            var summary: [(String, JSONValue)] = []
            if let backup = restore.sourceBackupArn { summary.append(("SourceBackupArn", .string(backup))) }
            summary += [
                ("SourceTableArn", .string(restore.sourceTableArn)),
                ("RestoreDateTime", .number(String(format: "%.3f", restore.restoreDateTime.timeIntervalSince1970))),
                ("RestoreInProgress", .bool(restore.restoreInProgress)),
            ]
            members.append(("RestoreSummary", .object(summary)))
        }
        if d.billingMode == .payPerRequest {
            members.append(("BillingModeSummary", .object([
                ("BillingMode", .string(d.billingMode.rawValue)),
                ("LastUpdateToPayPerRequestDateTime", .number(String(format: "%.3f", d.creationDateTime.timeIntervalSince1970))),
            ])))
        }
        return .object(members)
    }

    /// The cut-down description DeleteTable returns: no key schema, attribute definitions or
    /// creation time, as DynamoDB's.
    static func deletedTableDescription(_ d: TableDescription, region: String) -> JSONValue {
        guard case .object(let full) = tableDescription(d, region: region) else { return .object([]) }
        let kept: Set<String> = ["TableName", "TableStatus", "ProvisionedThroughput", "TableSizeBytes", "ItemCount", "TableArn",
                                 "TableId", "BillingModeSummary", "DeletionProtectionEnabled"]
        return .object(full.filter { kept.contains($0.0) })
    }

    static func items(_ items: [Item]) -> JSONValue { .array(items.map(AttributeValueJSON.encode)) }

    /// Items a read returned, each written straight from its stored bytes.
    static func items(_ items: [LazyItem]) -> JSONValue { .array(items.map(JSONValue.item)) }
}

/// Reading the legacy parameters' JSON.
extension RequestReader {
    func legacyConditions(_ key: String) throws(ProtocolError) -> [AttributeName: LegacyCondition]? {
        guard let entries = try map(key) else { return nil }
        var result: [AttributeName: LegacyCondition] = [:]
        for (name, value) in entries {
            let entry = try RequestReader(value)
            guard let op = try entry.enumeration("ComparisonOperator", LegacyComparisonOperator.self) else {
                throw .validation("1 validation error detected: Value null at '\(RequestReader.fieldName(key)).\(name).member.comparisonOperator' failed to satisfy constraint: Member must not be null")
            }
            let values = try (entry.array("AttributeValueList") ?? []).map { v throws(ProtocolError) in try AttributeValueJSON.decode(v, depth: 0) }
            result[name] = LegacyCondition(op, values)
        }
        return result
    }

    func expected() throws(ProtocolError) -> [AttributeName: ExpectedAttributeValue]? {
        guard let entries = try map("Expected") else { return nil }
        var result: [AttributeName: ExpectedAttributeValue] = [:]
        for (name, value) in entries {
            let entry = try RequestReader(value)
            result[name] = ExpectedAttributeValue(
                value: try entry.members["Value"].map { v throws(ProtocolError) in try AttributeValueJSON.decode(v, depth: 0) },
                exists: try entry.bool("Exists"),
                comparisonOperator: try entry.enumeration("ComparisonOperator", LegacyComparisonOperator.self),
                attributeValueList: try entry.array("AttributeValueList").map { list throws(ProtocolError) in
                    try list.map { v throws(ProtocolError) in try AttributeValueJSON.decode(v, depth: 0) }
                })
        }
        return result
    }

    func attributeUpdates() throws(ProtocolError) -> [AttributeName: AttributeValueUpdate]? {
        guard let entries = try map("AttributeUpdates") else { return nil }
        var result: [AttributeName: AttributeValueUpdate] = [:]
        for (name, value) in entries {
            let entry = try RequestReader(value)
            result[name] = AttributeValueUpdate(
                value: try entry.members["Value"].map { v throws(ProtocolError) in try AttributeValueJSON.decode(v, depth: 0) },
                action: try entry.enumeration("Action", AttributeAction.self))
        }
        return result
    }
}

