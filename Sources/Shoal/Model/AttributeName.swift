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
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    public static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    public static func hash(_ s: String, into hasher: inout Hasher) {
        // Eight bytes at a time: far fewer hasher rounds than one per byte.
        var word: UInt64 = 0
        var filled = 0
        for byte in s.utf8 {
            word = word << 8 | UInt64(byte)
            filled += 1
            if filled == 8 {
                hasher.combine(word)
                word = 0
                filled = 0
            }
        }
        hasher.combine(word)
        hasher.combine(s.utf8.count)
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
