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

/// DynamoDB's rules for tag keys and values.
enum TagRules {
    static func validate(_ tags: [String: String]) throws(ShoalError) {
        for (key, value) in tags {
            guard (1...128).contains(key.utf16.count) else {
                throw .validation("1 validation error detected: Value '\(key)' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128")
            }
            guard value.utf16.count <= 256 else {
                throw .validation("1 validation error detected: Value '\(value)' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
            }
            if key.hasPrefix("aws:") {
                throw .validation("One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for AWS use")
            }
        }
    }
}
