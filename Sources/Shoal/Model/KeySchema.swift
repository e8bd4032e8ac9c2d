/// `HASH` (partition key) or `RANGE` (sort key).
public enum KeyType: String, Sendable, Codable, CaseIterable {
    case hash = "HASH"
    case range = "RANGE"
}

/// One element of a table's `KeySchema`.
public struct KeySchemaElement: Sendable, Codable, Equatable, Hashable {
    public var attributeName: String
    public var keyType: KeyType

    public init(attributeName: String, keyType: KeyType) {
        self.attributeName = attributeName
        self.keyType = keyType
    }
}

/// The types a key attribute may have.
public enum ScalarAttributeType: String, Sendable, Codable, CaseIterable {
    case s = "S"
    case n = "N"
    case b = "B"

    var attributeType: AttributeType {
        switch self {
        case .s: return .s
        case .n: return .n
        case .b: return .b
        }
    }
}

/// One element of a table's `AttributeDefinitions`.
public struct AttributeDefinition: Sendable, Codable, Equatable, Hashable {
    public var attributeName: String
    public var attributeType: ScalarAttributeType

    public init(attributeName: String, attributeType: ScalarAttributeType) {
        self.attributeName = attributeName
        self.attributeType = attributeType
    }
}

/// A table's resolved primary key: the partition key and the optional sort key, with types.
public struct PrimaryKey: Sendable, Codable, Equatable {
    public struct Part: Sendable, Codable, Equatable {
        public var name: String
        public var type: ScalarAttributeType
    }

    public var partition: Part
    public var sort: Part?

    public var names: [String] { [partition.name] + (sort.map { [$0.name] } ?? []) }

    public var keySchema: [KeySchemaElement] {
        var schema = [KeySchemaElement(attributeName: partition.name, keyType: .hash)]
        if let sort { schema.append(KeySchemaElement(attributeName: sort.name, keyType: .range)) }
        return schema
    }
}
