extension Database {
    static let maxTags = 50

    /// DynamoDB's TagResource for a table: adds or replaces tags.
    public func tagResource(tableName: String, tags: [String: String]) throws(ShoalError) {
        guard !tags.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        try TagRules.validate(tags)
        _ = try changeDefinition(tableName) { definition throws(ShoalError) in
            var merged = definition.tags ?? [:]
            merged.merge(tags) { $1 }
            guard merged.count <= Database.maxTags else {
                throw ShoalError(.limitExceeded, "The number of tags for the resource exceeds the limit of \(Database.maxTags)")
            }
            definition.tags = merged
        }
    }

    /// DynamoDB's UntagResource: removes tags by key (absent keys are ignored).
    public func untagResource(tableName: String, keys: [String]) throws(ShoalError) {
        var violations = ConstraintViolations()
        for (i, key) in keys.enumerated() where !(1...TagRules.maxKeyLength).contains(key.unicodeScalars.count) {
            violations.add("Value '\(key)' at 'tagKeys.\(i + 1).member' failed to satisfy constraint: Member must have length \(key.isEmpty ? "greater than or equal to 1" : "less than or equal to \(TagRules.maxKeyLength)")")
        }
        try violations.throwIfAny()
        _ = try changeDefinition(tableName) { definition throws(ShoalError) in
            var tags = definition.tags ?? [:]
            for key in keys { tags[key] = nil }
            definition.tags = tags
        }
    }

    /// DynamoDB's ListTagsOfResource, sorted by key.
    public func listTags(tableName: String) throws(ShoalError) -> [(key: String, value: String)] {
        guard let handle = lookup(tableName) else { throw .tableNotFound(tableName) }
        return (handle.definition.tags ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// DynamoDB's rules for tag keys and values: a key of 1 to 128 characters, a value of up to 256,
/// both of letters, numbers, white space and `+ - = . _ : /`, and no key in the reserved `aws:`
/// namespace. A request with one bad tag applies none.
public enum TagRules {
    public static let maxKeyLength = 128
    public static let maxValueLength = 256

    public static func validate(_ tags: [String: String]) throws(ShoalError) {
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            try validate(key: key)
            guard value.unicodeScalars.count <= maxValueLength else {
                throw .validation("1 validation error detected: Value '\(value)' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to \(maxValueLength)")
            }
            guard isAllowed(value) else {
                throw .invalidParameter("The tag value '\(value)' of key '\(key)' has a character that is not allowed; tag keys and values may hold letters, numbers, white space and + - = . _ : /")
            }
        }
    }

    public static func validate(key: String) throws(ShoalError) {
        guard (1...maxKeyLength).contains(key.unicodeScalars.count) else {
            throw .validation("1 validation error detected: Value '\(key)' at 'tags.member.key' failed to satisfy constraint: Member must have length \(key.isEmpty ? "greater than or equal to 1" : "less than or equal to \(maxKeyLength)")")
        }
        guard isAllowed(key) else {
            throw .invalidParameter("The tag key '\(key)' has a character that is not allowed; tag keys and values may hold letters, numbers, white space and + - = . _ : /")
        }
        if key.lowercased().hasPrefix("aws:") {
            throw .invalidParameter("Tag keys starting with 'aws:' are reserved for AWS use")
        }
    }

    static func isAllowed(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            let p = scalar.properties
            return p.isAlphabetic || p.numericType != nil || p.isWhitespace || "+-=._:/".unicodeScalars.contains(scalar)
        }
    }
}
