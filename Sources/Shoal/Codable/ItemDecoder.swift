import Foundation

/// Decodes DynamoDB items into `Decodable` values, with the mapping of ``ItemEncoder``.
/// Numbers decode into any numeric type that holds them exactly (integers must be whole and
/// in range); sets decode into arrays or `Set`s.
public struct ItemDecoder: Sendable {
    public init() {}

    /// - Throws: `DecodingError` when the item does not fit `type`.
    public func decode<T: Decodable>(_ type: T.Type, from item: Item) throws -> T {
        try AttributeValueDecoder.decodeValue(type, from: .m(item), codingPath: [])
    }

    /// Decodes an item a read returned, reading the attributes `type` asks for.
    /// - Throws: `DecodingError` when the item does not fit `type`.
    public func decode<T: Decodable>(_ type: T.Type, from item: LazyItem) throws -> T {
        switch item.storage {
        case .decoded(let item): return try decode(type, from: item)
        case .encoded(let encoded): return try EncodedItemDecoder.decode(type, from: encoded)
        }
    }

    public func decodeValue<T: Decodable>(_ type: T.Type, from value: AttributeValue) throws -> T {
        try AttributeValueDecoder.decodeValue(type, from: value, codingPath: [])
    }
}

struct AttributeValueDecoder: Decoder {
    let value: AttributeValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decodeValue<T: Decodable>(_ type: T.Type, from value: AttributeValue, codingPath: [any CodingKey]) throws -> T {
        if let special = try specialValue(type, from: value, codingPath: codingPath) { return special }
        return try T(from: AttributeValueDecoder(value: value, codingPath: codingPath))
    }

    static func mismatch<T>(_ type: T.Type, _ value: AttributeValue, _ codingPath: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected \(type) but found \(value.type.rawValue)"))
    }

    private static func specialValue<T>(_ type: T.Type, from value: AttributeValue, codingPath: [any CodingKey]) throws -> T? {
        if type == AttributeValue.self { return value as? T }
        if type == Number.self {
            guard case .n(let n) = value else { throw mismatch(type, value, codingPath) }
            return n as? T
        }
        if type == Data.self {
            guard case .b(let b) = value else { throw mismatch(type, value, codingPath) }
            return Data(b) as? T
        }
        if type == Date.self {
            guard case .s(let s) = value, let date = try? DateFormat.style.parse(s) else { throw mismatch(type, value, codingPath) }
            return date as? T
        }
        if type == Decimal.self {
            guard case .n(let n) = value, let d = Decimal(string: n.description) else { throw mismatch(type, value, codingPath) }
            return d as? T
        }
        return nil
    }

    /// Members of a list or set, as attribute values.
    static func elements(_ value: AttributeValue) -> [AttributeValue]? {
        switch value {
        case .l(let l): return l
        case .ss(let s): return s.map { .s($0) }
        case .ns(let n): return n.map { .n($0) }
        case .bs(let b): return b.map { .b($0) }
        default: return nil
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .m(let map) = value else { throw Self.mismatch([String: Any].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(map: map, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let elements = Self.elements(value) else { throw Self.mismatch([Any].self, value, codingPath) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let map: Item
        let codingPath: [any CodingKey]
        var allKeys: [Key] { map.keys.compactMap { Key(stringValue: $0.string) } }

        func contains(_ key: Key) -> Bool { map[key.stringValue] != nil }

        private func value(_ key: Key) throws -> AttributeValue {
            guard let v = map[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No attribute named \(key.stringValue)"))
            }
            return v
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let v = map[key.stringValue] else { return true }
            if case .null = v { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try AttributeValueDecoder.decodeValue(type, from: value(key), codingPath: codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try AttributeValueDecoder(value: value(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try AttributeValueDecoder(value: value(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            AttributeValueDecoder(value: map["super"] ?? .null, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            AttributeValueDecoder(value: try value(key), codingPath: codingPath + [key])
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [AttributeValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(elements: [AttributeValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        private mutating func next() throws -> (AttributeValue, [any CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "No more elements"))
            }
            defer { currentIndex += 1 }
            return (elements[currentIndex], codingPath + [IndexKey(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { return false }
            if case .null = elements[currentIndex] {
                currentIndex += 1
                return true
            }
            return false
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (v, path) = try next()
            return try AttributeValueDecoder.decodeValue(type, from: v, codingPath: path)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (v, path) = try next()
            return try AttributeValueDecoder(value: v, codingPath: path).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (v, path) = try next()
            return try AttributeValueDecoder(value: v, codingPath: path).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            let (v, path) = try next()
            return AttributeValueDecoder(value: v, codingPath: path)
        }
    }

    struct SingleContainer: SingleValueDecodingContainer {
        let value: AttributeValue
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool {
            if case .null = value { return true }
            return false
        }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let b) = value else { throw AttributeValueDecoder.mismatch(type, value, codingPath) }
            return b
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .s(let s) = value else { throw AttributeValueDecoder.mismatch(type, value, codingPath) }
            return s
        }

        private func number<T>(_ type: T.Type) throws -> Number {
            guard case .n(let n) = value else { throw AttributeValueDecoder.mismatch(type, value, codingPath) }
            return n
        }

        private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            let n = try number(type)
            guard let whole = n.int64Value else {
                if !n.isNegative, n.exponent >= 0, let u = UInt64(n.description), let exact = T(exactly: u) { return exact }
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Number \(n) does not fit \(type)"))
            }
            guard let exact = T(exactly: whole) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Number \(n) does not fit \(type)"))
            }
            return exact
        }

        func decode(_ type: Double.Type) throws -> Double { try number(type).doubleValue }
        func decode(_ type: Float.Type) throws -> Float { Float(try number(type).doubleValue) }
        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try AttributeValueDecoder.decodeValue(type, from: value, codingPath: codingPath)
        }
    }
}
