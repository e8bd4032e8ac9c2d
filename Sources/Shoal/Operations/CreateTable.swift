import Foundation
import LMDB

public struct CreateTableRequest: Sendable {
    public var tableName: String
    public var keySchema: [KeySchemaElement]
    public var attributeDefinitions: [AttributeDefinition]
    public var billingMode: BillingMode?
    public var provisionedThroughput: ProvisionedThroughput?
    /// Tags the table is created with (validated with the rest: invalid tags create no table).
    public var tags: [String: String]?
    /// Up to 20 global secondary indexes (each key: up to four partition and four sort attributes).
    public var globalSecondaryIndexes: [GlobalSecondaryIndex]?
    /// Up to 5 local secondary indexes (only at creation; the table needs a sort key).
    public var localSecondaryIndexes: [LocalSecondaryIndex]?
    /// A change stream from the start (`StreamEnabled` with a `StreamViewType`).
    public var streamSpecification: StreamSpecification?
    /// Refuse DeleteTable until it is turned off.
    public var deletionProtectionEnabled: Bool?
    public var tableClass: TableClass?
    public var sseSpecification: SSESpecification?
    public var onDemandThroughput: OnDemandThroughput?
    public var warmThroughput: WarmThroughput?
    /// A resource-based policy to attach (checked by the caller: the engine keeps it as given).
    public var resourcePolicy: String?

    public init(tableName: String, keySchema: [KeySchemaElement], attributeDefinitions: [AttributeDefinition],
                billingMode: BillingMode? = nil, provisionedThroughput: ProvisionedThroughput? = nil,
                tags: [String: String]? = nil, globalSecondaryIndexes: [GlobalSecondaryIndex]? = nil,
                localSecondaryIndexes: [LocalSecondaryIndex]? = nil) {
        self.tableName = tableName
        self.keySchema = keySchema
        self.attributeDefinitions = attributeDefinitions
        self.billingMode = billingMode
        self.provisionedThroughput = provisionedThroughput
        self.tags = tags
        self.globalSecondaryIndexes = globalSecondaryIndexes
        self.localSecondaryIndexes = localSecondaryIndexes
    }

    /// A table keyed by `partitionKey` and, optionally, `sortKey`, billed on demand.
    public init(tableName: String, partitionKey: (String, ScalarAttributeType), sortKey: (String, ScalarAttributeType)? = nil) {
        var schema = [KeySchemaElement(attributeName: partitionKey.0, keyType: .hash)]
        var definitions = [AttributeDefinition(attributeName: partitionKey.0, attributeType: partitionKey.1)]
        if let sortKey {
            schema.append(KeySchemaElement(attributeName: sortKey.0, keyType: .range))
            definitions.append(AttributeDefinition(attributeName: sortKey.0, attributeType: sortKey.1))
        }
        self.init(tableName: tableName, keySchema: schema, attributeDefinitions: definitions, billingMode: .payPerRequest)
    }
}

public struct CreateTableResponse: Sendable {
    public var tableDescription: TableDescription
}

enum TableNameRule {
    /// DynamoDB's table name rule: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
    static func validate(_ name: String, field: String = "tableName") throws(ShoalError) {
        var violations = ConstraintViolations()
        check(name, field: field, into: &violations)
        try violations.throwIfAny()
    }

    static func check(_ name: String, field: String, into violations: inout ConstraintViolations) {
        if name.utf8.count < 3 {
            violations.add("Value '\(name)' at '\(field)' failed to satisfy constraint: Member must have length greater than or equal to 3")
        } else if name.utf8.count > 255 {
            violations.add("Value '\(name)' at '\(field)' failed to satisfy constraint: Member must have length less than or equal to 255")
        }
        let allowed = name.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 46 || c == 45
        }
        if !allowed {
            violations.add("Value '\(name)' at '\(field)' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        }
    }
}

/// The request-shape checks DynamoDB's framework makes before the operation's own: all of them
/// are reported together, as `N validation errors detected: …; …`.
public struct ConstraintViolations: Sendable {
    public private(set) var messages: [String] = []
    public init() {}

    public mutating func add(_ message: String) { messages.append(message) }

    /// Lengths of a name member: `field` is DynamoDB's path to it (`keySchema.1.member.attributeName`).
    public mutating func checkLength(_ value: String, field: String, min: Int, max: Int) {
        let count = value.utf8.count
        if count < min {
            add("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have length greater than or equal to \(min)")
        } else if count > max {
            add("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
    }

    /// The range of a number member (`limit`, `maxResults`, …).
    public mutating func checkRange(_ value: Int, field: String, min: Int, max: Int) {
        if value < min {
            add("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value greater than or equal to \(min)")
        } else if value > max {
            add("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value less than or equal to \(max)")
        }
    }

    /// Throws one ValidationException for `value` out of `min...max` (``checkRange(_:field:min:max:)``).
    public static func requireRange(_ value: Int, field: String, min: Int, max: Int) throws(ShoalError) {
        var violations = ConstraintViolations()
        violations.checkRange(value, field: field, min: min, max: max)
        try violations.throwIfAny()
    }

    public func throwIfAny() throws(ShoalError) {
        guard !messages.isEmpty else { return }
        let count = messages.count == 1 ? "1 validation error detected" : "\(messages.count) validation errors detected"
        throw .validation("\(count): \(messages.joined(separator: "; "))")
    }
}

extension Database {
    /// The answer when a shard has no database slot left for a table or index.
    static func databasesFull(_ options: DatabaseOptions) -> ShoalError {
        ShoalError(.limitExceeded, "Subscriber limit exceeded: this data directory holds at most \(options.maxDatabasesPerShard - 1) databases: one per table, one per secondary index and one per change stream (a deleted table or index counts for \(options.deletedTableGrace) after its deletion)")
    }

    /// DynamoDB's CreateTable. The table is ACTIVE when this returns.
    /// - Throws: `ResourceInUseException` when the name is taken, `ValidationException` for an invalid definition.
    public func createTable(_ request: CreateTableRequest) async throws(ShoalError) -> CreateTableResponse {
        try await insertTable(try validate(request))
    }

    /// Creates a validated table through the schema funnel, its stream first.
    func insertTable(_ definition: TableDefinition) async throws(ShoalError) -> CreateTableResponse {
        // The stream before the table: a crash in between leaves a stream no table has, which
        // the next open records as ended.
        if let stream = definition.liveStream { try runSync { try catalog.putStream(stream) } }
        let handle: TableHandle
        do {
            handle = try await createTableStorage(definition)
        } catch {
            if let stream = definition.liveStream { try? catalog.removeStream(stream.id) }
            throw error
        }
        if let stream = definition.liveStream {
            registerStream(StreamHandle(definition: stream, databases: handle.storages.compactMap { $0.stream?.db }))
        }
        return CreateTableResponse(tableDescription: definition.describe(status: .active, itemCount: 0, sizeBytes: 0, region: options.region))
    }

    func validate(_ request: CreateTableRequest) throws(ShoalError) -> TableDefinition {
        // First the shape of every member, all reported at once, as DynamoDB's framework does.
        var violations = ConstraintViolations()
        TableNameRule.check(request.tableName, field: "tableName", into: &violations)
        let schema = request.keySchema
        if schema.isEmpty {
            violations.add("Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
        } else if schema.count > 2 {
            violations.add("Value '\(schema.map(\.attributeName))' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")
        }
        for (i, element) in schema.enumerated() {
            violations.checkLength(element.attributeName, field: "keySchema.\(i + 1).member.attributeName", min: 1, max: 255)
        }
        for (i, definition) in request.attributeDefinitions.enumerated() {
            violations.checkLength(definition.attributeName, field: "attributeDefinitions.\(i + 1).member.attributeName", min: 1, max: 255)
        }
        if let globals = request.globalSecondaryIndexes {
            IndexValidation.checkShape(names: globals.map(\.indexName), keySchemas: globals.map(\.keySchema), projections: globals.map(\.projection),
                                       member: { "globalSecondaryIndexes.\($0 + 1).member" }, maxKeySchema: 2 * IndexValidation.maxKeyAttributesPerRole,
                                       into: &violations)
        }
        if let locals = request.localSecondaryIndexes {
            IndexValidation.checkShape(names: locals.map(\.indexName), keySchemas: locals.map(\.keySchema), projections: locals.map(\.projection),
                                       member: { "localSecondaryIndexes.\($0 + 1).member" }, maxKeySchema: 2, into: &violations)
        }
        try violations.throwIfAny()
        if lookup(request.tableName) != nil {
            throw ShoalError(.resourceInUse, "Table already exists: \(request.tableName)")
        }
        guard schema[0].keyType == .hash else {
            throw .validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        if schema.count == 2 {
            guard schema[1].keyType == .range else {
                throw .validation("Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key")
            }
            guard !Bytewise.equal(schema[0].attributeName, schema[1].attributeName) else {
                throw .validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
            }
        }
        var types: [AttributeName: ScalarAttributeType] = [:]
        for definition in request.attributeDefinitions {
            guard types[definition.attributeName] == nil else {
                throw .validation("Attribute Name is duplicated: \(definition.attributeName)")
            }
            types[definition.attributeName] = definition.attributeType
        }
        let keyNames = schema.map(\.attributeName)
        if let missing = keyNames.first(where: { types[$0] == nil }) {
            _ = missing
            throw .invalidParameter("Some index key attributes are not defined in AttributeDefinitions. Keys: [\(keyNames.joined(separator: ", "))], AttributeDefinitions: [\(request.attributeDefinitions.map(\.attributeName).joined(separator: ", "))]")
        }
        let hasIndexes = request.globalSecondaryIndexes != nil || request.localSecondaryIndexes != nil
        guard hasIndexes || request.attributeDefinitions.count == keyNames.count else {
            throw .invalidParameter("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        }
        let billing = request.billingMode ?? .provisioned
        switch billing {
        case .provisioned:
            guard let throughput = request.provisionedThroughput else {
                throw .invalidParameter("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
            }
            guard throughput.readCapacityUnits >= 1, throughput.writeCapacityUnits >= 1 else {
                throw .invalidParameter("Each ReadCapacityUnits and WriteCapacityUnits must be greater than or equal to 1")
            }
        case .payPerRequest:
            if request.provisionedThroughput != nil {
                throw .invalidParameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            }
        }
        let streamViewType = try StreamRules.viewType(request.streamSpecification)
        if let tags = request.tags, !tags.isEmpty {
            try TagRules.validate(tags)
            guard tags.count <= Database.maxTags else {
                throw .invalidParameter("The number of tags (\(tags.count)) exceeds the limit of \(Database.maxTags) tags per table")
            }
        }
        let partition = PrimaryKey.Part(name: schema[0].attributeName, type: types[schema[0].attributeName]!)
        let sort = schema.count == 2 ? PrimaryKey.Part(name: schema[1].attributeName, type: types[schema[1].attributeName]!) : nil
        let primaryKey = PrimaryKey(partition: partition, sort: sort)
        let indexes = try IndexValidation.definitions(globals: request.globalSecondaryIndexes, locals: request.localSecondaryIndexes,
                                                      table: primaryKey, types: types, billing: billing)
        if hasIndexes {
            var used = Set(keyNames.map { AttributeName($0) })
            for index in indexes { for name in index.keyNames { used.insert(AttributeName(name)) } }
            if used.count != types.count {
                throw .invalidParameter("Some AttributeDefinitions are not used. AttributeDefinitions: [\(types.keys.sorted().map(\.string).joined(separator: ", "))], keys used: [\(used.sorted().map(\.string).joined(separator: ", "))]")
            }
        }
        if let sse = request.sseSpecification { try TableSettingRules.validate(sse) }
        if let limits = request.onDemandThroughput { try TableSettingRules.validate(limits) }
        if let warm = request.warmThroughput { try TableSettingRules.validate(warm) }
        let now = options.clock.now
        let id = UUID().uuidString.lowercased()
        var settings = TableSettings(deletionProtection: request.deletionProtectionEnabled, tableClass: request.tableClass,
                                     sse: request.sseSpecification, onDemandThroughput: request.onDemandThroughput,
                                     warmThroughput: request.warmThroughput)
        if request.tableClass != nil { settings.tableClassUpdated = (now.timeIntervalSince1970 * 1000).rounded() / 1000 }
        if let policy = request.resourcePolicy, policy.utf8.count > Database.maxPolicySize {
            throw .validation("Policy size \(policy.utf8.count) exceeds the maximum of \(Database.maxPolicySize) bytes")
        }
        var definition = TableDefinition(
            name: request.tableName, id: id,
            primaryKey: primaryKey,
            attributeDefinitions: request.attributeDefinitions, billingMode: billing,
            provisionedThroughput: request.provisionedThroughput,
            creationDate: (now.timeIntervalSince1970 * 1000).rounded() / 1000,
            tags: request.tags?.isEmpty == false ? request.tags : nil,
            indexes: indexes.isEmpty ? nil : indexes,
            stream: streamViewType.map { StreamDefinition.new(table: request.tableName, tableID: id, viewType: $0, primaryKey: primaryKey, at: now) },
            settings: settings.isEmpty ? nil : settings)
        if let policy = request.resourcePolicy {
            definition.policies = AttachedPolicies(table: ResourcePolicyRecord(policy: policy, revisionId: String(Int64(now.timeIntervalSince1970 * 1000))))
        }
        return definition
    }
}
