/// An attribute name (or any string DynamoDB compares): equal, hashed and ordered by its UTF-8
/// bytes, as DynamoDB compares strings, never by Unicode canonical equivalence as Swift's
/// `String` does. `"é"` (U+00E9) and `"e\u{301}"` are two different names here, as in DynamoDB.
///
/// Items are dictionaries keyed by `AttributeName`; string literals and `String` subscripts work
/// as before: `item["name"]`, `["id": "u1"]`.
public struct AttributeName: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let string: String

    public init(_ string: String) { self.string = string }
    public init(stringLiteral value: String) { string = value }

    public var description: String { string }
    public var utf8: String.UTF8View { string.utf8 }
    public var isEmpty: Bool { string.isEmpty }

    public static func == (lhs: AttributeName, rhs: AttributeName) -> Bool { Bytewise.equal(lhs.string, rhs.string) }
    public static func < (lhs: AttributeName, rhs: AttributeName) -> Bool { Bytewise.less(lhs.string, rhs.string) }
    public func hash(into hasher: inout Hasher) { Bytewise.hash(string, into: &hasher) }
}

/// Comparisons of strings by their UTF-8 bytes.
public enum Bytewise {
    public static func equal(_ a: String, _ b: String) -> Bool {
        equal(a.utf8.span, b.utf8.span)
    }

    public static func less(_ a: String, _ b: String) -> Bool {
        let x = a.utf8.span, y = b.utf8.span
        for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
        return x.count < y.count
    }

    /// Byte equality over spans (bounds-checked, and far quicker than iterating `UTF8View`s).
    static func equal(_ a: Span<UInt8>, _ b: Span<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices where a[i] != b[i] { return false }
        return true
    }

    /// String's own hash: strings with equal bytes are equal `String`s, so they hash alike; the
    /// rare canonically equivalent pairs with different bytes merely collide. (It is much faster
    /// than hashing the bytes one by one.)
    public static func hash(_ s: String, into hasher: inout Hasher) {
        hasher.combine(s)
    }

    /// The string whose UTF-8 is exactly `bytes`, or nil when they are not valid UTF-8.
    /// (`String(validating:as:)` is generic and costs a runtime metadata lookup per call on this
    /// hot path; decoding and comparing back is cheaper for the short strings items hold.)
    public static func string(validating bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // ASCII (most names) is always valid; otherwise a repair shows as different bytes.
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return text }
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    /// Whether `strings` has two byte-equal members.
    static func hasDuplicates(_ strings: [String]) -> Bool {
        Set(strings.map { AttributeName($0) }).count != strings.count
    }
}

extension Dictionary where Key == AttributeName {
    /// The value of the attribute named `name` (compared by bytes).
    public subscript(name: String) -> Value? {
        get { self[AttributeName(name)] }
        set { self[AttributeName(name)] = newValue }
    }
}
