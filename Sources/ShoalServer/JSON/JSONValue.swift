import Shoal

/// A JSON document as the protocol layer handles it. Numbers keep their text, so nothing is
/// lost or rounded before the engine sees it; objects keep their member order.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// An item in DynamoDB's JSON, written straight from its stored bytes when it has them.
    case item(LazyItem)

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.item(a), .item(b)): return a == b
        default: return false
        }
    }

    /// The member named `key` of an object (the last one, as most parsers keep).
    subscript(key: String) -> JSONValue? {
        switch self {
        case .object(let members): return members.last { $0.0 == key }?.1
        case .item(let item): return item[key].map(AttributeValueJSON.encode)
        default: return nil
        }
    }

    /// DynamoDB's (Java SDK's) name for the JSON type, used in SerializationException messages.
    var typeName: String {
        switch self {
        case .null: return "NULL_VALUE"
        case .bool: return "BOOLEAN_VALUE"
        case .number: return "NUMBER_VALUE"
        case .string: return "STRING_VALUE"
        case .array: return "START_ARRAY"
        case .object, .item: return "START_OBJECT"
        }
    }
}
