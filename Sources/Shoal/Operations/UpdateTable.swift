import Foundation
import LMDB

/// One entry of UpdateTable's `GlobalSecondaryIndexUpdates`.
public enum GlobalSecondaryIndexUpdate: Sendable, Equatable {
    /// Adds a global index; existing items are indexed in the background (CREATING, then ACTIVE).
    case create(GlobalSecondaryIndex)
    /// Removes a global index and frees its storage.
    case delete(indexName: String)
    /// Changes a global index's provisioned throughput (enforced under `enforceCapacity`, else recorded only).
    case update(indexName: String, provisionedThroughput: ProvisionedThroughput)
}

public struct UpdateTableRequest: Sendable {
    public var tableName: String
    public var billingMode: BillingMode?
    public var provisionedThroughput: ProvisionedThroughput?
    /// Definitions of the key attributes of an index being created.
    public var attributeDefinitions: [AttributeDefinition]?
    public var globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate]?
    /// Enables a new stream, or disables the enabled one (its records stay readable).
    public var streamSpecification: StreamSpecification?
    public var deletionProtectionEnabled: Bool?
    public var tableClass: TableClass?
    public var sseSpecification: SSESpecification?
    public var onDemandThroughput: OnDemandThroughput?
    public var warmThroughput: WarmThroughput?

    /// Whether the request changes one of the table's settings.
    var changesSettings: Bool {
        deletionProtectionEnabled != nil || tableClass != nil || sseSpecification != nil || onDemandThroughput != nil || warmThroughput != nil
    }

    public init(tableName: String, billingMode: BillingMode? = nil, provisionedThroughput: ProvisionedThroughput? = nil,
                attributeDefinitions: [AttributeDefinition]? = nil, globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate]? = nil,
                streamSpecification: StreamSpecification? = nil) {
        self.tableName = tableName
        self.billingMode = billingMode
        self.provisionedThroughput = provisionedThroughput
        self.attributeDefinitions = attributeDefinitions
        self.globalSecondaryIndexUpdates = globalSecondaryIndexUpdates
        self.streamSpecification = streamSpecification
    }
}

extension Database {
    /// DynamoDB's UpdateTable: billing mode and provisioned throughput (reported, and enforced
    /// under `DatabaseOptions.enforceCapacity`), and one global index created or deleted per call.
    public func updateTable(_ request: UpdateTableRequest) async throws(ShoalError) -> TableDescription {
        let updates = request.globalSecondaryIndexUpdates ?? []
        guard request.billingMode != nil || request.provisionedThroughput != nil || !updates.isEmpty || request.streamSpecification != nil
                || request.changesSettings else {
            throw .validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        }
        // The shape of every member first, all reported at once, as DynamoDB's framework does.
        var violations = ConstraintViolations()
        for (i, definition) in (request.attributeDefinitions ?? []).enumerated() {
            violations.checkLength(definition.attributeName, field: "attributeDefinitions.\(i + 1).member.attributeName", min: 1, max: 255)
        }
        for (i, update) in updates.enumerated() {
            guard case .create(let index) = update else { continue }
            IndexValidation.checkShape(names: [index.indexName], keySchemas: [index.keySchema], projections: [index.projection],
                                       member: { _ in "globalSecondaryIndexUpdates.\(i + 1).member.create" },
                                       maxKeySchema: 2 * IndexValidation.maxKeyAttributesPerRole, into: &violations)
        }
        try violations.throwIfAny()
        let structural = updates.filter { if case .update = $0 { return false } else { return true } }
        if structural.count > 1 {
            throw ShoalError(.limitExceeded, "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
        }
        guard let current = lookup(request.tableName) else { throw .tableNotFound(request.tableName) }
        if !structural.isEmpty, current.definition.allIndexes.contains(where: { $0.isGlobal && $0.status != .active }) {
            throw ShoalError(.limitExceeded, "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
        }
        let enabling = try StreamRules.viewType(request.streamSpecification)
        if let specification = request.streamSpecification {
            if specification.streamEnabled, current.definition.liveStream != nil {
                throw .validation("Table already has an enabled stream: TableName: \(current.definition.name)")
            }
            if !specification.streamEnabled, current.definition.liveStream == nil {
                throw .validation("Table has no stream to disable: TableName: \(current.definition.name)")
            }
        }
        if request.attributeDefinitions != nil, !structural.contains(where: { if case .create = $0 { return true } else { return false } }) {
            throw .invalidParameter("AttributeDefinitions can only be given with a GlobalSecondaryIndexUpdates Create action")
        }
        if let sse = request.sseSpecification { try TableSettingRules.validate(sse) }
        if let limits = request.onDemandThroughput { try TableSettingRules.validate(limits) }
        if let warm = request.warmThroughput { try TableSettingRules.validate(warm) }
        let now = options.clock.now
        var handle = try changeDefinition(request.tableName) { definition throws(ShoalError) in
            try Database.applyBilling(request, to: &definition)
            Database.applySettings(request, to: &definition, now: now)
            for update in updates {
                guard case let .update(name, throughput) = update else { continue }
                guard let position = definition.allIndexes.firstIndex(where: { $0.isGlobal && Bytewise.equal($0.name, name) }) else {
                    throw .validation("Requested resource not found: Index: \(name) not found for table: \(definition.name)")
                }
                guard definition.billingMode == .provisioned else {
                    throw .invalidParameter("ProvisionedThroughput should not be specified for index: \(name) when BillingMode is PAY_PER_REQUEST")
                }
                definition.indexes![position].provisionedThroughput = throughput
            }
        }
        if let viewType = enabling {
            handle = try await enableStream(viewType, table: handle)
        } else if request.streamSpecification != nil {
            handle = try await disableStream(table: handle)
        }
        switch structural.first {
        case .create(let index)?:
            handle = try await createIndex(index, attributeDefinitions: request.attributeDefinitions ?? [], table: handle)
        case .delete(let name)?:
            return try await deleteIndex(name, table: handle)
        default:
            break
        }
        return try describe(handle, status: .active)
    }

    private static func applySettings(_ request: UpdateTableRequest, to definition: inout TableDefinition, now: Date) {
        guard request.changesSettings else { return }
        var settings = definition.settings ?? TableSettings()
        if let protection = request.deletionProtectionEnabled { settings.deletionProtection = protection }
        if let tableClass = request.tableClass {
            settings.tableClass = tableClass
            settings.tableClassUpdated = (now.timeIntervalSince1970 * 1000).rounded() / 1000
        }
        if let sse = request.sseSpecification { settings.sse = sse }
        // A limit or warm value left out of the request keeps its current value.
        if let limits = request.onDemandThroughput {
            let old = settings.onDemandThroughput
            settings.onDemandThroughput = OnDemandThroughput(maxReadRequestUnits: limits.maxReadRequestUnits ?? old?.maxReadRequestUnits,
                                                             maxWriteRequestUnits: limits.maxWriteRequestUnits ?? old?.maxWriteRequestUnits)
        }
        if let warm = request.warmThroughput {
            let old = settings.warmThroughput
            settings.warmThroughput = WarmThroughput(readUnitsPerSecond: warm.readUnitsPerSecond ?? old?.readUnitsPerSecond,
                                                     writeUnitsPerSecond: warm.writeUnitsPerSecond ?? old?.writeUnitsPerSecond)
        }
        definition.settings = settings.isEmpty ? nil : settings
    }

    private static func applyBilling(_ request: UpdateTableRequest, to definition: inout TableDefinition) throws(ShoalError) {
        guard request.billingMode != nil || request.provisionedThroughput != nil else { return }
        let mode = request.billingMode ?? definition.billingMode
        switch mode {
        case .payPerRequest:
            if request.provisionedThroughput != nil {
                throw .invalidParameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            }
            definition.provisionedThroughput = nil
        case .provisioned:
            guard let throughput = request.provisionedThroughput ?? definition.provisionedThroughput else {
                throw .invalidParameter("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
            }
            guard throughput.readCapacityUnits >= 1, throughput.writeCapacityUnits >= 1 else {
                throw .invalidParameter("Each ReadCapacityUnits and WriteCapacityUnits must be greater than or equal to 1")
            }
            definition.provisionedThroughput = throughput
        }
        definition.billingMode = mode
    }

    /// Adds a global index: recorded CREATING, opened in every shard (from then on every write
    /// maintains it), then backfilled in the background.
    private func createIndex(_ index: GlobalSecondaryIndex, attributeDefinitions: [AttributeDefinition],
                             table: TableHandle) async throws(ShoalError) -> TableHandle {
        var created: IndexDefinition?
        let recorded = try await alterTable(table.definition.name, id: table.definition.id) { definition throws(ShoalError) in
            var types: [AttributeName: ScalarAttributeType] = [:]
            for known in definition.attributeDefinitions { types[AttributeName(known.attributeName)] = known.attributeType }
            var added: [AttributeDefinition] = []
            // The index's keys must be defined in this request, even when the table already
            // defines them (DynamoDB requires the redundant definition).
            var requestTypes: [AttributeName: ScalarAttributeType] = [:]
            for given in attributeDefinitions {
                requestTypes[AttributeName(given.attributeName)] = given.attributeType
                if let known = types[AttributeName(given.attributeName)] {
                    guard known == given.attributeType else {
                        throw .invalidParameter("Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: Schema:[SchemaElement: key{\(given.attributeName):\(known.rawValue)}] New schema: Schema:[SchemaElement: key{\(given.attributeName):\(given.attributeType.rawValue)}]")
                    }
                } else {
                    types[AttributeName(given.attributeName)] = given.attributeType
                    added.append(given)
                }
            }
            if definition.index(named: index.indexName) != nil {
                throw .validation("Attempting to create an index which already exists")
            }
            if definition.allIndexes.filter(\.isGlobal).count >= IndexValidation.maxGlobalIndexes {
                throw ShoalError(.limitExceeded, "Subscriber limit exceeded: The table already has \(IndexValidation.maxGlobalIndexes) global secondary indexes")
            }
            var resolved = try IndexValidation.resolveGlobal(index, types: requestTypes, billing: definition.billingMode)
            resolved.status = .creating
            try IndexValidation.checkProjectedTotal(definition.allIndexes + [resolved])
            // Keep only the definitions some key uses, as DynamoDB does.
            definition.attributeDefinitions += added.filter { a in index.keySchema.contains { Bytewise.equal($0.attributeName, a.attributeName) } }
            definition.indexes = definition.allIndexes + [resolved]
            created = resolved
        }
        guard let created else { return recorded }
        let tableID = recorded.definition.id
        let name = recorded.definition.name
        jobs.start("index backfill \(name)/\(created.name)", retrying: true) { [self] in
            try await backfill(tableName: name, tableID: tableID, indexID: created.id)
        }
        return recorded
    }

    /// Deletes a global index: DELETING in the answer, its databases dropped in every shard,
    /// then gone from the table's definition.
    private func deleteIndex(_ name: String, table: TableHandle) async throws(ShoalError) -> TableDescription {
        guard let index = table.definition.index(named: name), index.isGlobal else {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Index: \(name) not found for table: \(table.definition.name)")
        }
        // DELETING is no longer maintained: the funnel drops its databases in every shard.
        let marked = try await alterTable(table.definition.name, id: table.definition.id) { definition throws(ShoalError) in
            definition.indexes = definition.allIndexes.map { var i = $0; if i.id == index.id { i.status = .deleting }; return i }
        }
        let answer = try describe(marked, status: .active)
        _ = try changeDefinition(table.definition.name, id: table.definition.id) { definition throws(ShoalError) in
            definition.indexes = definition.allIndexes.filter { $0.id != index.id }
            if definition.indexes?.isEmpty == true { definition.indexes = nil }
            let used = Set((definition.primaryKey.names + definition.allIndexes.flatMap(\.keyNames)).map { AttributeName($0) })
            definition.attributeDefinitions = definition.attributeDefinitions.filter { used.contains(AttributeName($0.attributeName)) }
        }
        return answer
    }
}
