/// Evaluates a ``Condition`` against an item with DynamoDB's semantics: comparisons only
/// between values of the same type, a missing attribute is unequal to everything and
/// compares false otherwise, numbers compare exactly.
enum ConditionEvaluator {
    /// - Parameter item: the item, or nil when there is none (every path is then missing).
    static func evaluate(_ condition: Condition, on item: Item?) -> Bool {
        evaluate(condition, on: item ?? [:])
    }

    /// The same on any source of top-level attributes (a filter reads stored bytes through one).
    static func evaluate<Lookup: AttributeLookup>(_ condition: Condition, on item: Lookup) -> Bool {
        switch condition {
        case let .and(a, b): return evaluate(a, on: item) && evaluate(b, on: item)
        case let .or(a, b): return evaluate(a, on: item) || evaluate(b, on: item)
        case .not(let a): return !evaluate(a, on: item)
        case let .comparison(a, op, b):
            return compare(resolve(a, item), op, resolve(b, item))
        case let .between(a, low, high):
            guard let v = resolve(a, item), let l = resolve(low, item), let h = resolve(high, item),
                  isOrderable(v), v.type == l.type, v.type == h.type else { return false }
            return KeyEncoding.compare(v, l) >= 0 && KeyEncoding.compare(v, h) <= 0
        case let .isIn(a, list):
            guard let v = resolve(a, item) else { return false }
            return list.contains { resolve($0, item) == v }
        case .attributeExists(let path): return path.value(in: item) != nil
        case .attributeNotExists(let path): return path.value(in: item) == nil
        case let .attributeType(operand, type):
            guard let v = resolve(operand, item), case .s(let name)? = resolve(type, item) else { return false }
            return v.type.rawValue == name
        case let .beginsWith(a, b):
            switch (resolve(a, item), resolve(b, item)) {
            case let (.s(s)?, .s(prefix)?): return s.utf8.starts(with: prefix.utf8)
            case let (.b(bytes)?, .b(prefix)?): return bytes.starts(with: prefix)
            default: return false
            }
        case let .contains(a, b):
            guard let container = resolve(a, item), let element = resolve(b, item) else { return false }
            return contains(container, element)
        }
    }

    /// An operand's value; nil when a path is missing or `size` does not apply.
    static func resolve<Lookup: AttributeLookup>(_ operand: Operand, _ item: Lookup) -> AttributeValue? {
        switch operand {
        case .path(let p): return p.value(in: item)
        case .value(let v): return v
        case .size(let o):
            guard let v = resolve(o, item), let n = size(of: v) else { return nil }
            return .n(Number(n))
        case .ifNotExists, .listAppend, .plus, .minus, .setAdd, .setDelete:
            // The parser keeps these out of conditions.
            return nil
        }
    }

    /// `size()`: UTF-16 code units of a string (as DynamoDB counts), bytes of a binary,
    /// members of a set, elements of a list or map.
    static func size(of value: AttributeValue) -> Int? {
        switch value {
        case .s(let s): return s.utf16.count
        case .b(let b): return b.count
        case .ss(let v): return v.count
        case .ns(let v): return v.count
        case .bs(let v): return v.count
        case .l(let v): return v.count
        case .m(let v): return v.count
        case .n, .bool, .null: return nil
        }
    }

    private static func isOrderable(_ v: AttributeValue) -> Bool {
        switch v {
        case .s, .n, .b: return true
        default: return false
        }
    }

    static func compare(_ a: AttributeValue?, _ op: ComparisonOperator, _ b: AttributeValue?) -> Bool {
        guard let a, let b else { return op == .notEqual }
        switch op {
        case .equal: return a == b
        case .notEqual: return a != b
        default:
            guard isOrderable(a), a.type == b.type else { return false }
            let c = KeyEncoding.compare(a, b)
            switch op {
            case .less: return c < 0
            case .lessOrEqual: return c <= 0
            case .greater: return c > 0
            default: return c >= 0
            }
        }
    }

    static func contains(_ container: AttributeValue, _ element: AttributeValue) -> Bool {
        switch (container, element) {
        case let (.s(s), .s(sub)): return containsBytes(Array(s.utf8), Array(sub.utf8))
        case let (.b(bytes), .b(sub)): return containsBytes(bytes, sub)
        case let (.ss(set), .s(v)): return set.contains { Bytewise.equal($0, v) }
        case let (.ns(set), .n(v)): return set.contains(v)
        case let (.bs(set), .b(v)): return set.contains(v)
        case let (.l(list), v): return list.contains(v)
        default: return false
        }
    }

    /// Substring search on bytes (UTF-8 for strings, so no Unicode normalisation gets in the way),
    /// in linear time (Knuth–Morris–Pratt): both sides can be hundreds of kilobytes from a request.
    static func containsBytes(_ bytes: [UInt8], _ sub: [UInt8]) -> Bool {
        guard !sub.isEmpty else { return true }
        guard sub.count <= bytes.count else { return false }
        // failure[i]: length of the longest proper prefix of sub[0...i] that is also its suffix.
        var failure = [Int](repeating: 0, count: sub.count)
        var k = 0
        for i in 1..<sub.count {
            while k > 0 && sub[i] != sub[k] { k = failure[k - 1] }
            if sub[i] == sub[k] { k += 1 }
            failure[i] = k
        }
        var matched = 0
        for byte in bytes {
            while matched > 0 && byte != sub[matched] { matched = failure[matched - 1] }
            if byte == sub[matched] { matched += 1 }
            if matched == sub.count { return true }
        }
        return false
    }
}
