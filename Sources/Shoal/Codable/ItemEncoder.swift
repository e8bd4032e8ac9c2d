import Foundation

/// Encodes `Encodable` values into DynamoDB items.
///
/// Mapping: `String` → S; integers, floating point and ``Number`` → N (exact for integers and
/// ``Number``); `Bool` → BOOL; `Data` → B; `Date` → S (ISO 8601); `Set<String>` → SS,
/// `Set` of integers → NS, `Set<Data>` → BS; arrays → L; structs and dictionaries with string
/// keys → M; `nil` optionals are left out. The top-level value must encode as a map.
///
/// ```swift
/// struct User: Codable { var id: String; var age: Int }
/// let item = try ItemEncoder().encode(User(id: "u1", age: 36))  // ["id": .s("u1"), "age": .n(36)]
/// ```
public struct ItemEncoder: Sendable {
    public init() {}

    /// - Throws: `EncodingError` when the value is not a map or holds a non-finite number.
    public func encode<T: Encodable>(_ value: T) throws -> Item {
        let encoded = try AttributeValueEncoder.encodeValue(value, codingPath: [])
        guard case .m(let item) = encoded else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "An item must encode as a keyed container (a struct, class or dictionary)"))
        }
        return item
    }

    /// Encodes any value as a single attribute value.
    public func encodeValue<T: Encodable>(_ value: T) throws -> AttributeValue {
        try AttributeValueEncoder.encodeValue(value, codingPath: [])
    }
}

/// A node being built: containers are filled in place by their nested encoders.
private final class EncodedNode {
    enum Content {
        case empty
        case value(AttributeValue)
        case map([AttributeName: EncodedNode])
        case list([EncodedNode])
    }
    var content: Content = .empty

    var attributeValue: AttributeValue? {
        switch content {
        case .empty: return nil
        case .value(let v): return v
        case .map(let m):
            var result: Item = [:]
            for (k, node) in m { if let v = node.attributeValue { result[k] = v } }
            return .m(result)
        case .list(let l): return .l(l.map { $0.attributeValue ?? .null })
        }
    }
}

private final class AttributeValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    let node: EncodedNode

    init(codingPath: [any CodingKey], node: EncodedNode) {
        self.codingPath = codingPath
        self.node = node
    }

    static func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> AttributeValue {
        if let special = try specialValue(value, codingPath: codingPath) { return special }
        let node = EncodedNode()
        try value.encode(to: AttributeValueEncoder(codingPath: codingPath, node: node))
        return node.attributeValue ?? .null
    }

    /// Types with a DynamoDB form of their own rather than their Codable structure.
    static func specialValue(_ value: Any, codingPath: [any CodingKey]) throws -> AttributeValue? {
        switch value {
        case let v as Number: return .n(v)
        case let v as AttributeValue: return v
        case let v as Data: return .b([UInt8](v))
        case let v as Date: return .s(v.formatted(DateFormat.style))
        case let v as Decimal: return .n(try number(from: "\(v)", codingPath: codingPath))
        case let v as Set<String>: return v.isEmpty ? .l([]) : .ss(Array(v))
        case let v as Set<Int>: return v.isEmpty ? .l([]) : .ns(v.map { Number($0) })
        case let v as Set<Data>: return v.isEmpty ? .l([]) : .bs(v.map { [UInt8]($0) })
        default: return nil
        }
    }

    static func number(from text: String, codingPath: [any CodingKey]) throws -> Number {
        do {
            return try Number(text)
        } catch {
            throw EncodingError.invalidValue(text, .init(codingPath: codingPath, debugDescription: error.description))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = node.content {} else { node.content = .map([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = node.content {} else { node.content = .list([]) }
        return UnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    func child(_ key: any CodingKey) -> AttributeValueEncoder {
        AttributeValueEncoder(codingPath: codingPath + [key], node: EncodedNode())
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: AttributeValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ key: Key, _ node: EncodedNode) {
            guard case .map(var map) = encoder.node.content else { return }
            map[key.stringValue] = node
            encoder.node.content = .map(map)
        }

        mutating func encodeNil(forKey key: Key) throws {}

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let node = EncodedNode()
            node.content = .value(try AttributeValueEncoder.encodeValue(value, codingPath: codingPath + [key]))
            set(key, node)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = encoder.child(key)
            set(key, child.node)
            return child.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = encoder.child(key)
            set(key, child.node)
            return child.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = encoder.child(key)
            set(key, child.node)
            return child
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: AttributeValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int {
            if case .list(let l) = encoder.node.content { return l.count }
            return 0
        }

        private func append(_ node: EncodedNode) {
            guard case .list(var list) = encoder.node.content else { return }
            list.append(node)
            encoder.node.content = .list(list)
        }

        private var indexKey: IndexKey { IndexKey(intValue: count) }

        mutating func encodeNil() throws {
            let node = EncodedNode()
            node.content = .value(.null)
            append(node)
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let node = EncodedNode()
            node.content = .value(try AttributeValueEncoder.encodeValue(value, codingPath: codingPath + [indexKey]))
            append(node)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = encoder.child(indexKey)
            append(child.node)
            return child.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = encoder.child(indexKey)
            append(child.node)
            return child.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let child = encoder.child(indexKey)
            append(child.node)
            return child
        }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: AttributeValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ value: AttributeValue) { encoder.node.content = .value(value) }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.s(value)) }
        mutating func encode(_ value: Double) throws { set(.n(try float(value))) }
        mutating func encode(_ value: Float) throws { set(.n(try float(Double("\(value)") ?? Double(value)))) }
        mutating func encode(_ value: Int) throws { set(.n(Number(value))) }
        mutating func encode(_ value: Int8) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: Int16) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: Int32) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: Int64) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: UInt) throws { set(.n(Number(UInt64(value)))) }
        mutating func encode(_ value: UInt8) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: UInt16) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: UInt32) throws { set(.n(Number(Int(value)))) }
        mutating func encode(_ value: UInt64) throws { set(.n(Number(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            set(try AttributeValueEncoder.encodeValue(value, codingPath: codingPath))
        }

        private func float(_ value: Double) throws -> Number {
            do {
                return try Number(value)
            } catch {
                throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: error.description))
            }
        }
    }
}

struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(intValue: Int) {
        self.intValue = intValue
        stringValue = "Index \(intValue)"
    }
    init?(stringValue: String) { return nil }
}

enum DateFormat {
    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-25T08:33:29.120Z`.
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
