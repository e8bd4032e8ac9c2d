/// A request's `ExpressionAttributeNames` and `ExpressionAttributeValues`, shared by all of its
/// expressions. Parsing resolves placeholders through it and records which ones were used, so
/// that unused ones can be reported as DynamoDB does.
struct ExpressionAttributes {
    let names: [String: String]
    let values: [String: AttributeValue]
    private(set) var usedNames: Set<String> = []
    private(set) var usedValues: Set<String> = []

    /// Validates the maps themselves (keys, values).
    init(names: [String: String]?, values: [String: AttributeValue]?) throws(ShoalError) {
        if let names, names.isEmpty { throw .validation("ExpressionAttributeNames must not be empty") }
        if let values, values.isEmpty { throw .validation("ExpressionAttributeValues must not be empty") }
        for key in (names ?? [:]).keys.sorted() where !ExpressionAttributes.isPlaceholder(key, prefix: "#") {
            throw .validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \"\(key)\"")
        }
        for key in (values ?? [:]).keys.sorted() {
            guard ExpressionAttributes.isPlaceholder(key, prefix: ":") else {
                throw .validation("ExpressionAttributeValues contains invalid key: Syntax error; key: \"\(key)\"")
            }
            do {
                try ItemValidation.validate(values![key]!)
            } catch {
                let detail = error.message.replacingOccurrences(of: "One or more parameter values were invalid: ", with: "")
                throw .validation("ExpressionAttributeValues contains invalid value: \(detail) for key \(key)")
            }
        }
        for key in (names ?? [:]).keys.sorted() {
            do {
                try ItemValidation.checkName(names![key]!)
            } catch {
                let detail = error.message.replacingOccurrences(of: "One or more parameter values were invalid: ", with: "")
                throw .validation("ExpressionAttributeNames contains invalid value: \(detail) for key \(key)")
            }
        }
        self.names = names ?? [:]
        self.values = values ?? [:]
    }

    static let empty = try! ExpressionAttributes(names: nil, values: nil)

    private static func isPlaceholder(_ key: String, prefix: Character) -> Bool {
        let bytes = key.utf8
        guard bytes.count > 1, bytes.first == prefix.asciiValue else { return false }
        return bytes.dropFirst().allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }
    }

    mutating func name(_ placeholder: String, kind: ExpressionKind) throws(ShoalError) -> String {
        guard let name = names[placeholder] else {
            throw .validation("Invalid \(kind.rawValue): An expression attribute name used in the document path is not defined; attribute name: \(placeholder)")
        }
        usedNames.insert(placeholder)
        return name
    }

    mutating func value(_ placeholder: String, kind: ExpressionKind) throws(ShoalError) -> AttributeValue {
        guard let value = values[placeholder] else {
            throw .validation("Invalid \(kind.rawValue): An expression attribute value used in expression is not defined; attribute value: \(placeholder)")
        }
        usedValues.insert(placeholder)
        return value
    }

    /// After every expression of the request is parsed: DynamoDB rejects unused placeholders.
    func checkAllUsed() throws(ShoalError) {
        let unusedNames = Set(names.keys).subtracting(usedNames)
        if !unusedNames.isEmpty {
            throw .validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {\(unusedNames.sorted().joined(separator: ", "))}")
        }
        let unusedValues = Set(values.keys).subtracting(usedValues)
        if !unusedValues.isEmpty {
            throw .validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {\(unusedValues.sorted().joined(separator: ", "))}")
        }
    }
}
