/// Which attributes an index holds besides the keys.
public enum ProjectionType: String, Sendable, Codable, CaseIterable {
    case all = "ALL"
    case keysOnly = "KEYS_ONLY"
    case include = "INCLUDE"
}

/// An index's `Projection`: the table and index keys are always projected.
public struct IndexProjection: Sendable, Codable, Equatable {
    public var projectionType: ProjectionType
    /// With `INCLUDE`: the other attributes the index holds.
    public var nonKeyAttributes: [String]?

    public init(_ projectionType: ProjectionType, nonKeyAttributes: [String]? = nil) {
        self.projectionType = projectionType
        self.nonKeyAttributes = nonKeyAttributes
    }

    public static let all = IndexProjection(.all)
    public static let keysOnly = IndexProjection(.keysOnly)
    public static func include(_ attributes: [String]) -> IndexProjection { IndexProjection(.include, nonKeyAttributes: attributes) }
}

/// A global secondary index as CreateTable and UpdateTable take it. Its key schema may name up
/// to four `HASH` and four `RANGE` attributes (multi-attribute keys).
public struct GlobalSecondaryIndex: Sendable, Equatable {
    public var indexName: String
    public var keySchema: [KeySchemaElement]
    public var projection: IndexProjection
    public var provisionedThroughput: ProvisionedThroughput?

    public init(indexName: String, keySchema: [KeySchemaElement], projection: IndexProjection = .all,
                provisionedThroughput: ProvisionedThroughput? = nil) {
        self.indexName = indexName
        self.keySchema = keySchema
        self.projection = projection
        self.provisionedThroughput = provisionedThroughput
    }

    /// An index on `partitionKey` and, optionally, `sortKey`.
    public init(_ indexName: String, partitionKey: String, sortKey: String? = nil, projection: IndexProjection = .all) {
        var schema = [KeySchemaElement(attributeName: partitionKey, keyType: .hash)]
        if let sortKey { schema.append(KeySchemaElement(attributeName: sortKey, keyType: .range)) }
        self.init(indexName: indexName, keySchema: schema, projection: projection)
    }
}

/// A local secondary index: the table's partition key and another sort key.
public struct LocalSecondaryIndex: Sendable, Equatable {
    public var indexName: String
    public var keySchema: [KeySchemaElement]
    public var projection: IndexProjection

    public init(indexName: String, keySchema: [KeySchemaElement], projection: IndexProjection = .all) {
        self.indexName = indexName
        self.keySchema = keySchema
        self.projection = projection
    }
}

public enum IndexStatus: String, Sendable, Codable {
    case creating = "CREATING"
    case updating = "UPDATING"
    case deleting = "DELETING"
    case active = "ACTIVE"
}

/// What DescribeTable says about one index.
public struct IndexDescription: Sendable, Equatable {
    public var indexName: String
    public var keySchema: [KeySchemaElement]
    public var projection: IndexProjection
    /// Global indexes only (DynamoDB reports no status for local ones).
    public var indexStatus: IndexStatus?
    /// Global indexes being created: true while existing items are being indexed.
    public var backfilling: Bool?
    public var indexSizeBytes: Int
    public var itemCount: Int
    public var indexArn: String
    public var provisionedThroughput: ProvisionedThroughput?
}

/// An index as the catalog stores it, with its key attributes resolved to types.
struct IndexDefinition: Sendable, Codable, Equatable {
    var name: String
    /// Names the index's database in every shard; a re-created index gets a new one.
    var id: String
    var isGlobal: Bool
    /// One to four attributes (a local index: the table's partition key).
    var partition: [PrimaryKey.Part]
    /// Zero to four attributes.
    var sort: [PrimaryKey.Part]
    var projection: IndexProjection
    var provisionedThroughput: ProvisionedThroughput?
    /// CREATING while a new global index is backfilled, DELETING while its data is dropped.
    var status: IndexStatus

    var keySchema: [KeySchemaElement] {
        partition.map { KeySchemaElement(attributeName: $0.name, keyType: .hash) }
            + sort.map { KeySchemaElement(attributeName: $0.name, keyType: .range) }
    }

    var keyNames: [String] { partition.map(\.name) + sort.map(\.name) }

    /// Writes keep the index up to date (it is being backfilled or is live).
    var isMaintained: Bool { status == .creating || status == .active || status == .updating }
}

extension TableDefinition {
    /// Every index of the table, global and local (absent in catalogs written before indexes).
    var allIndexes: [IndexDefinition] { indexes ?? [] }

    func index(named name: String) -> IndexDefinition? {
        allIndexes.first { Bytewise.equal($0.name, name) }
    }
}
