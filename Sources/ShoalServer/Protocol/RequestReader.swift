import Shoal

/// Typed access to the members of a request's JSON object, with DynamoDB's errors for
/// missing members (ValidationException) and members of the wrong JSON type (SerializationException).
struct RequestReader {
    let members: [String: JSONValue]

    init(_ json: JSONValue) throws(ProtocolError) {
        guard case .object(let list) = json else {
            throw .serialization("Start of structure or map found where not expected")
        }
        var members: [String: JSONValue] = [:]
        for (key, value) in list where value != .null { members[key] = value }
        self.members = members
    }

    /// `tableName` for `TableName`: the member name as DynamoDB's validation messages spell it.
    static func fieldName(_ key: String) -> String {
        guard let first = key.first else { return key }
        return first.lowercased() + key.dropFirst()
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func string(_ key: String) throws(ProtocolError) -> String? {
        guard let value = members[key] else { return nil }
        guard case .string(let s) = value else { throw .serialization("\(value.typeName) cannot be converted to String") }
        return s
    }

    func requiredString(_ key: String) throws(ProtocolError) -> String {
        guard let s = try string(key) else {
            throw .validation("1 validation error detected: Value null at '\(RequestReader.fieldName(key))' failed to satisfy constraint: Member must not be null")
        }
        return s
    }

    func int(_ key: String) throws(ProtocolError) -> Int? {
        guard let value = members[key] else { return nil }
        guard case .number(let text) = value else { throw .serialization("\(value.typeName) can not be converted to an Integer") }
        guard let n = Int(text) else {
            if let d = Double(text), d.rounded() == d, abs(d) < 1e18 { return Int(d) }
            throw .serialization("NUMBER_VALUE can not be converted to an Integer")
        }
        return n
    }

    func int64(_ key: String) throws(ProtocolError) -> Int64? { try int(key).map(Int64.init) }

    func bool(_ key: String) throws(ProtocolError) -> Bool? {
        guard let value = members[key] else { return nil }
        guard case .bool(let b) = value else { throw .serialization("\(value.typeName) can not be converted to a Boolean") }
        return b
    }

    func object(_ key: String) throws(ProtocolError) -> RequestReader? {
        guard let value = members[key] else { return nil }
        guard case .object = value else { throw .serialization("Unexpected \(value.typeName) for \(key), expected a structure") }
        return try RequestReader(value)
    }

    /// A JSON object's members in order (maps keyed by user data).
    func map(_ key: String) throws(ProtocolError) -> [(String, JSONValue)]? {
        guard let value = members[key] else { return nil }
        guard case .object(let list) = value else { throw .serialization("Unexpected \(value.typeName) for \(key), expected a map") }
        return list
    }

    func array(_ key: String) throws(ProtocolError) -> [JSONValue]? {
        guard let value = members[key] else { return nil }
        guard case .array(let list) = value else { throw .serialization("Unexpected \(value.typeName) for \(key), expected a list") }
        return list
    }

    func stringArray(_ key: String) throws(ProtocolError) -> [String]? {
        try array(key).map { list throws(ProtocolError) in
            try list.map { value throws(ProtocolError) in
                guard case .string(let s) = value else { throw .serialization("\(value.typeName) cannot be converted to String") }
                return s
            }
        }
    }

    func stringMap(_ key: String) throws(ProtocolError) -> [String: String]? {
        try map(key).map { list throws(ProtocolError) in
            var result: [String: String] = [:]
            for (k, value) in list {
                guard case .string(let s) = value else { throw .serialization("\(value.typeName) cannot be converted to String") }
                result[k] = s
            }
            return result
        }
    }

    func item(_ key: String) throws(ProtocolError) -> Item? {
        guard let value = members[key] else { return nil }
        return try AttributeValueJSON.decodeItem(value, field: key)
    }

    func requiredItem(_ key: String) throws(ProtocolError) -> Item {
        guard let item = try item(key) else {
            throw .validation("1 validation error detected: Value null at '\(RequestReader.fieldName(key))' failed to satisfy constraint: Member must not be null")
        }
        return item
    }

    /// `ExpressionAttributeValues`: placeholders to values.
    func attributeValueMap(_ key: String) throws(ProtocolError) -> [String: AttributeValue]? {
        guard let json = members[key], json != .null else { return nil }
        guard case .object(let entries) = json else {
            throw .serialization("Unexpected \(json.typeName) for \(key), expected a map")
        }
        var values: [String: AttributeValue] = [:]
        for (placeholder, value) in entries {
            do {
                values[placeholder] = try AttributeValueJSON.decode(value, depth: 0)
            } catch where error.status == 400 && error.type.hasSuffix("ValidationException") {
                let detail = error.message.replacingOccurrences(of: "One or more parameter values were invalid: ", with: "")
                throw .validation("ExpressionAttributeValues contains invalid value: \(detail) for key \(placeholder)")
            }
        }
        return values
    }

    /// An enum member, with DynamoDB's message for a value outside the set.
    func enumeration<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ProtocolError) -> T? where T.RawValue == String {
        guard let raw = try string(key) else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = (T.self as? any CaseIterable.Type).map { all in
                (all.allCases as any Collection).map { "\(($0 as! T).rawValue)" }.joined(separator: ", ")
            } ?? ""
            throw .validation("1 validation error detected: Value '\(raw)' at '\(RequestReader.fieldName(key))' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed)]")
        }
        return value
    }
}
