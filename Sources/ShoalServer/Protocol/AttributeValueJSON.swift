import Foundation
import Shoal

/// DynamoDB's JSON form of attribute values: `{"S":"x"}`, `{"N":"1.5"}`, `{"B":"base64"}`, …
enum AttributeValueJSON {
    static func encode(_ item: Item) -> JSONValue {
        // Member order carries no meaning in DynamoDB's JSON; dictionary order saves a sort per item.
        .object(item.map { ($0.key.string, encode($0.value)) })
    }

    static func encode(_ value: AttributeValue) -> JSONValue {
        switch value {
        case .s(let s): return .object([("S", .string(s))])
        case .n(let n): return .object([("N", .string(n.description))])
        case .b(let b): return .object([("B", .string(Data(b).base64EncodedString()))])
        case .bool(let b): return .object([("BOOL", .bool(b))])
        case .null: return .object([("NULL", .bool(true))])
        case .m(let m): return .object([("M", encode(m))])
        case .l(let l): return .object([("L", .array(l.map(encode)))])
        case .ss(let v): return .object([("SS", .array(v.map { .string($0) }))])
        case .ns(let v): return .object([("NS", .array(v.map { .string($0.description) }))])
        case .bs(let v): return .object([("BS", .array(v.map { .string(Data($0).base64EncodedString()) }))])
        }
    }

    /// An item (a map of attribute values).
    static func decodeItem(_ json: JSONValue, field: String) throws(ProtocolError) -> Item {
        guard case .object(let members) = json else {
            throw .serialization("Unexpected \(json.typeName) for \(field), expected a map")
        }
        var item = Item(minimumCapacity: members.count)
        for (name, value) in members { item[name] = try decode(value, depth: 0) }
        return item
    }

    static func decode(_ json: JSONValue, depth: Int) throws(ProtocolError) -> AttributeValue {
        guard case .object(let members) = json else {
            throw .serialization("Unexpected \(json.typeName) where an AttributeValue was expected")
        }
        // JSON null members count as absent, as the AWS SDKs treat them; members that are not type
        // descriptors are ignored, as DynamoDB ignores them (so `{"dog": "cat"}` has no type set).
        let present = members.filter { $0.1 != .null && AttributeValueJSON.typeNames.contains($0.0) }
        guard !present.isEmpty else {
            throw .validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        guard present.count == 1 else {
            throw .validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        }
        guard depth <= ItemValidation.maxNestingDepth else { throw .validation(ItemValidation.nestingMessage) }
        let (type, payload) = present[0]
        switch type {
        case "S": return .s(try string(payload, type))
        case "N": return .n(try number(try string(payload, type)))
        case "B": return .b(try binary(payload))
        case "BOOL":
            guard case .bool(let b) = payload else { throw .serialization("Unexpected \(payload.typeName) for BOOL, expected a boolean") }
            return .bool(b)
        case "NULL":
            guard case .bool(let b) = payload else { throw .serialization("Unexpected \(payload.typeName) for NULL, expected a boolean") }
            guard b else { throw .validation("One or more parameter values were invalid: Null attribute value types must have the value of true") }
            return .null
        case "M":
            guard case .object(let entries) = payload else { throw .serialization("Unexpected \(payload.typeName) for M, expected a map") }
            var map = Item(minimumCapacity: entries.count)
            for (k, v) in entries { map[k] = try decode(v, depth: depth + 1) }
            return .m(map)
        case "L":
            return .l(try array(payload, type).map { v throws(ProtocolError) in try decode(v, depth: depth + 1) })
        case "SS":
            return .ss(try array(payload, type).map { v throws(ProtocolError) in try string(v, type) })
        case "NS":
            return .ns(try array(payload, type).map { v throws(ProtocolError) in try number(try string(v, type)) })
        case "BS":
            return .bs(try array(payload, type).map { v throws(ProtocolError) in try binary(v) })
        default:
            throw .validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
    }

    static let typeNames: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

    private static func string(_ json: JSONValue, _ type: String) throws(ProtocolError) -> String {
        guard case .string(let s) = json else { throw .serialization("Unexpected \(json.typeName) for \(type), expected a string") }
        return s
    }

    private static func array(_ json: JSONValue, _ type: String) throws(ProtocolError) -> [JSONValue] {
        guard case .array(let a) = json else { throw .serialization("Unexpected \(json.typeName) for \(type), expected a list") }
        return a
    }

    static func number(_ text: String) throws(ProtocolError) -> Number {
        do {
            return try Number(text)
        } catch {
            throw .validation(error.message(parsing: text))
        }
    }

    static func binary(_ json: JSONValue) throws(ProtocolError) -> [UInt8] {
        guard case .string(let s) = json else { throw .serialization("Unexpected \(json.typeName) for B, expected a base64 string") }
        guard let data = Data(base64Encoded: s) else {
            throw .serialization("Base64 encoded length is expected a multiple of 4 bytes but found: \(s.utf8.count)")
        }
        return [UInt8](data)
    }
}
