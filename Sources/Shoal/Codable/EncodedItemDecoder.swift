/// Decodes a `Decodable` value straight from an item's stored encoding: the item's attributes
/// are located once (names and value offsets, no dictionary), and only the attributes the type
/// asks for are decoded. Nested values go through ``AttributeValueDecoder``.
struct EncodedItemDecoder: Decoder {
    let item: EncodedItem
    let codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from item: EncodedItem) throws -> T {
        // Types that decode themselves from a whole value (AttributeValue, a dictionary) see the map.
        if type == AttributeValue.self || type == LazyItem.self {
            return try AttributeValueDecoder.decodeValue(type, from: .m(item.decoded), codingPath: [])
        }
        return try T(from: EncodedItemDecoder(item: item))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(EncodedKeyedContainer<Key>(item: item))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try AttributeValueDecoder(value: .m(item.decoded), codingPath: []).unkeyedContainer()
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        try AttributeValueDecoder(value: .m(item.decoded), codingPath: []).singleValueContainer()
    }
}

/// The item's attributes as a keyed container: a small table of (name, value offset) pairs,
/// searched by the key's UTF-8 bytes.
private struct EncodedKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let item: EncodedItem
    let codingPath: [any CodingKey] = []
    private let attributes: [(name: Range<Int>, value: Int)]

    init(item: EncodedItem) {
        self.item = item
        attributes = Array(item.attributes)
    }

    var allKeys: [Key] {
        attributes.compactMap { Key(stringValue: String(decoding: item.bytes[$0.name], as: UTF8.self)) }
    }

    private func offset(_ key: Key) -> Int? {
        let name = key.stringValue
        let wanted = name.utf8.span
        let bytes = item.bytes.span
        for attribute in attributes where Bytewise.equal(bytes.extracting(attribute.name), wanted) {
            return attribute.value
        }
        return nil
    }

    private func value(_ key: Key) throws -> AttributeValue {
        guard let offset = offset(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No attribute named \(key.stringValue)"))
        }
        var reader = ByteReader(item.bytes, offset: offset)
        return try ItemCodec.decodeValue(&reader, depth: 0)
    }

    func contains(_ key: Key) -> Bool { offset(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let offset = offset(key) else { return true }
        return item.bytes[offset] == ItemCodec.Tag.null.rawValue
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        // A string attribute is read straight from its bytes; anything else takes the general path.
        if let offset = offset(key), item.bytes[offset] == ItemCodec.Tag.s.rawValue {
            var reader = ByteReader(item.bytes, offset: offset + 1)
            return try reader.lengthPrefixedString()
        }
        return try decode(type, forKey: key, generic: ())
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        if let offset = offset(key), item.bytes[offset] == ItemCodec.Tag.n.rawValue {
            var reader = ByteReader(item.bytes, offset: offset + 1)
            if let whole = try NumberEncoding.decode(&reader).int64Value, let exact = Int(exactly: whole) { return exact }
        }
        return try decode(type, forKey: key, generic: ())
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        guard case .bool(let b) = try value(key) else { return try decode(type, forKey: key, generic: ()) }
        return b
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decode(type, forKey: key, generic: ())
    }

    private func decode<T: Decodable>(_ type: T.Type, forKey key: Key, generic: Void) throws -> T {
        try AttributeValueDecoder.decodeValue(type, from: value(key), codingPath: [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try AttributeValueDecoder(value: value(key), codingPath: [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try AttributeValueDecoder(value: value(key), codingPath: [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let value = attributes.isEmpty ? AttributeValue.null : (item.value(of: "super") ?? .null)
        return AttributeValueDecoder(value: value, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        AttributeValueDecoder(value: try value(key), codingPath: [key])
    }
}
