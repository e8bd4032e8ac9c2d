/// One DynamoDB attribute value, of one of DynamoDB's ten types.
///
/// Sets are arrays whose order carries no meaning: `==` compares them as sets. Strings, map keys
/// and string-set members compare by their UTF-8 bytes, as in DynamoDB (see ``AttributeName``).
public enum AttributeValue: Sendable, CustomStringConvertible {
    case s(String)
    case n(Number)
    case b([UInt8])
    case bool(Bool)
    case null
    case m([AttributeName: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([Number])
    case bs([[UInt8]])

    public var type: AttributeType {
        switch self {
        case .s: return .s
        case .n: return .n
        case .b: return .b
        case .bool: return .bool
        case .null: return .null
        case .m: return .m
        case .l: return .l
        case .ss: return .ss
        case .ns: return .ns
        case .bs: return .bs
        }
    }

    public var description: String {
        switch self {
        case .s(let v): return "{S: \(v)}"
        case .n(let v): return "{N: \(v)}"
        case .b(let v): return "{B: \(v.count) bytes}"
        case .bool(let v): return "{BOOL: \(v)}"
        case .null: return "{NULL: true}"
        case .m(let v): return "{M: \(v.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))}"
        case .l(let v): return "{L: [\(v.map(\.description).joined(separator: ", "))]}"
        case .ss(let v): return "{SS: \(v)}"
        case .ns(let v): return "{NS: \(v.map(\.description))}"
        case .bs(let v): return "{BS: \(v.count) values}"
        }
    }
}

/// An item: attribute names to values.
public typealias Item = [AttributeName: AttributeValue]

/// DynamoDB's type descriptors.
public enum AttributeType: String, Sendable, Codable, CaseIterable {
    case s = "S", n = "N", b = "B", bool = "BOOL", null = "NULL", m = "M", l = "L", ss = "SS", ns = "NS", bs = "BS"
}

extension AttributeValue: Equatable, Hashable {
    public static func == (lhs: AttributeValue, rhs: AttributeValue) -> Bool {
        switch (lhs, rhs) {
        case let (.s(a), .s(b)): return Bytewise.equal(a, b)
        case let (.n(a), .n(b)): return a == b
        case let (.b(a), .b(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.m(a), .m(b)): return a == b
        case let (.l(a), .l(b)): return a == b
        case let (.ss(a), .ss(b)): return a.count == b.count && Set(a.map { AttributeName($0) }) == Set(b.map { AttributeName($0) })
        case let (.ns(a), .ns(b)): return a.count == b.count && Set(a) == Set(b)
        case let (.bs(a), .bs(b)): return a.count == b.count && Set(a) == Set(b)
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        switch self {
        case .s(let v): Bytewise.hash(v, into: &hasher)
        case .n(let v): hasher.combine(v)
        case .b(let v): hasher.combine(v)
        case .bool(let v): hasher.combine(v)
        case .null: break
        case .m(let v): hasher.combine(v)
        case .l(let v): hasher.combine(v)
        case .ss(let v): hasher.combine(Set(v.map { AttributeName($0) }))
        case .ns(let v): hasher.combine(Set(v))
        case .bs(let v): hasher.combine(Set(v))
        }
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .s(value) }
    public init(integerLiteral value: Int) { self = .n(Number(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension AttributeValue {
    public var stringValue: String? { if case .s(let v) = self { return v } else { return nil } }
    public var numberValue: Number? { if case .n(let v) = self { return v } else { return nil } }
    public var binaryValue: [UInt8]? { if case .b(let v) = self { return v } else { return nil } }
}
