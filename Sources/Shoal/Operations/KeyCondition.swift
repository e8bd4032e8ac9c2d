/// A Query's key condition: equality on the partition key and at most one condition on the
/// sort key. The expression parser produces the same value from `KeyConditionExpression`.
public struct KeyCondition: Sendable, Equatable {
    public var partitionKeyName: String
    public var partitionKeyValue: AttributeValue
    public var sortKey: SortKeyCondition?
    /// For an index with multi-attribute keys: the conditions on its other key attributes
    /// (equality on every other partition attribute and on leading sort attributes).
    public var otherKeys: [SortKeyCondition]

    public init(partitionKeyName: String, partitionKeyValue: AttributeValue, sortKey: SortKeyCondition? = nil,
                otherKeys: [SortKeyCondition] = []) {
        self.partitionKeyName = partitionKeyName
        self.partitionKeyValue = partitionKeyValue
        self.sortKey = sortKey
        self.otherKeys = otherKeys
    }
}

public struct SortKeyCondition: Sendable, Equatable {
    public enum Operator: Sendable, Equatable {
        case equal(AttributeValue)
        case lessThan(AttributeValue)
        case lessThanOrEqual(AttributeValue)
        case greaterThan(AttributeValue)
        case greaterThanOrEqual(AttributeValue)
        case between(AttributeValue, AttributeValue)
        case beginsWith(AttributeValue)

        var operands: [AttributeValue] {
            switch self {
            case .equal(let v), .lessThan(let v), .lessThanOrEqual(let v), .greaterThan(let v),
                 .greaterThanOrEqual(let v), .beginsWith(let v): return [v]
            case .between(let a, let b): return [a, b]
            }
        }
    }

    public var name: String
    public var op: Operator

    public init(name: String, _ op: Operator) {
        self.name = name
        self.op = op
    }

    /// Whether the sort key value `value` satisfies the condition (same type assumed).
    func matches(_ value: AttributeValue) -> Bool {
        switch op {
        case .equal(let v): return KeyEncoding.compare(value, v) == 0
        case .lessThan(let v): return KeyEncoding.compare(value, v) < 0
        case .lessThanOrEqual(let v): return KeyEncoding.compare(value, v) <= 0
        case .greaterThan(let v): return KeyEncoding.compare(value, v) > 0
        case .greaterThanOrEqual(let v): return KeyEncoding.compare(value, v) >= 0
        case let .between(low, high): return KeyEncoding.compare(value, low) >= 0 && KeyEncoding.compare(value, high) <= 0
        case .beginsWith(let p):
            switch (value, p) {
            case let (.s(s), .s(prefix)): return s.utf8.starts(with: prefix.utf8)
            case let (.b(b), .b(prefix)): return b.starts(with: prefix)
            default: return false
            }
        }
    }

    /// Stored sort parts that can match: a place to start (inclusive) and a bound not to pass.
    var storedRange: (lower: [UInt8]?, upper: [UInt8]?) {
        switch op {
        case .equal(let v): return (KeyEncoding.sortLowerSeek(v), KeyEncoding.sortUpperBound(v))
        case .lessThan(let v), .lessThanOrEqual(let v): return (nil, KeyEncoding.sortUpperBound(v))
        case .greaterThan(let v), .greaterThanOrEqual(let v): return (KeyEncoding.sortLowerSeek(v), nil)
        case let .between(low, high): return (KeyEncoding.sortLowerSeek(low), KeyEncoding.sortUpperBound(high))
        case .beginsWith(let p):
            let lower = KeyEncoding.sortLowerSeek(p)
            return (lower, lower + KeyEncoding.sortPartCeiling)
        }
    }
}
