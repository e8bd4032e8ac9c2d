import Foundation

/// DynamoDB's rules for index definitions in CreateTable and UpdateTable, with its messages.
enum IndexValidation {
    static let maxGlobalIndexes = 20
    static let maxLocalIndexes = 5
    static let maxProjectedAttributes = 100
    /// Multi-attribute global index keys: up to four partition and four sort attributes.
    static let maxKeyAttributesPerRole = 4

    /// The request-shape checks of an index list (`globalSecondaryIndexes.1.member.indexName`, …).
    /// - Parameter member: the model path of the i-th index (`globalSecondaryIndexes.1.member`).
    static func checkShape(names: [String], keySchemas: [[KeySchemaElement]], projections: [IndexProjection],
                           member: (Int) -> String, maxKeySchema: Int, into violations: inout ConstraintViolations) {
        for (i, name) in names.enumerated() {
            TableNameRule.check(name, field: "\(member(i)).indexName", into: &violations)
        }
        for (i, schema) in keySchemas.enumerated() {
            if schema.isEmpty {
                violations.add("Value '[]' at '\(member(i)).keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1")
            } else if schema.count > maxKeySchema {
                violations.add("Value '\(schema.map(\.attributeName))' at '\(member(i)).keySchema' failed to satisfy constraint: Member must have length less than or equal to \(maxKeySchema)")
            }
            for (j, element) in schema.enumerated() {
                violations.checkLength(element.attributeName, field: "\(member(i)).keySchema.\(j + 1).member.attributeName", min: 1, max: 255)
            }
        }
        // Names listed in NonKeyAttributes are model members of at most 255 bytes (names projected
        // through ALL keep the item limit of 64 KB).
        for (i, projection) in projections.enumerated() {
            for (j, name) in (projection.nonKeyAttributes ?? []).enumerated() {
                violations.checkLength(name, field: "\(member(i)).projection.nonKeyAttributes.\(j + 1).member", min: 1, max: 255)
            }
        }
    }

    /// Checks every index of a new table and resolves it against the attribute definitions.
    static func definitions(globals: [GlobalSecondaryIndex]?, locals: [LocalSecondaryIndex]?, table: PrimaryKey,
                            types: [AttributeName: ScalarAttributeType], billing: BillingMode) throws(ShoalError) -> [IndexDefinition] {
        var result: [IndexDefinition] = []
        var names: Set<AttributeName> = []
        if let locals {
            guard !locals.isEmpty else { throw .invalidParameter("List of LocalSecondaryIndexes is empty") }
            guard table.sort != nil else {
                throw .invalidParameter("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
            }
            for local in locals {
                let index = try resolve(name: local.indexName, keySchema: local.keySchema, projection: local.projection,
                                        throughput: nil, isGlobal: false, types: types, billing: billing)
                guard index.sort.count == 1 else {
                    throw .invalidParameter("Index KeySchema does not have a range key for index: \(local.indexName)")
                }
                guard index.partition.count == 1, Bytewise.equal(index.partition[0].name, table.partition.name) else {
                    throw .invalidParameter("Index KeySchema does not have the same leading hash key as table KeySchema for index: \(local.indexName). index hash key: \(index.partition[0].name), table hash key: \(table.partition.name)")
                }
                guard names.insert(AttributeName(local.indexName)).inserted else {
                    throw .invalidParameter("Duplicate index name: \(local.indexName)")
                }
                result.append(index)
            }
            if locals.count > maxLocalIndexes {
                throw .invalidParameter("Number of LocalSecondaryIndexes exceeds per-table limit of \(maxLocalIndexes)")
            }
        }
        if let globals {
            guard !globals.isEmpty else { throw .invalidParameter("List of GlobalSecondaryIndexes is empty") }
            for global in globals {
                let index = try resolveGlobal(global, types: types, billing: billing)
                guard names.insert(AttributeName(global.indexName)).inserted else {
                    throw .invalidParameter("Duplicate index name: \(global.indexName)")
                }
                result.append(index)
            }
            if globals.count > maxGlobalIndexes {
                throw .invalidParameter("GlobalSecondaryIndex count exceeds the per-table limit of \(maxGlobalIndexes)")
            }
        }
        try checkProjectedTotal(result)
        return result
    }

    /// Checks one global index (of CreateTable or UpdateTable's Create) and resolves it.
    static func resolveGlobal(_ global: GlobalSecondaryIndex, types: [AttributeName: ScalarAttributeType],
                       billing: BillingMode) throws(ShoalError) -> IndexDefinition {
        try resolve(name: global.indexName, keySchema: global.keySchema, projection: global.projection,
                    throughput: global.provisionedThroughput, isGlobal: true, types: types, billing: billing)
    }

    /// DynamoDB's limit of 100 `NonKeyAttributes` over all of a table's indexes.
    static func checkProjectedTotal(_ indexes: [IndexDefinition]) throws(ShoalError) {
        let total = indexes.reduce(0) { $0 + ($1.projection.projectionType == .include ? $1.projection.nonKeyAttributes?.count ?? 0 : 0) }
        if total > maxProjectedAttributes {
            throw .invalidParameter("Number of projected attributes in all indexes exceeds limit of \(maxProjectedAttributes)")
        }
    }

    private static func resolve(name: String, keySchema: [KeySchemaElement], projection: IndexProjection,
                                throughput: ProvisionedThroughput?, isGlobal: Bool,
                                types: [AttributeName: ScalarAttributeType], billing: BillingMode) throws(ShoalError) -> IndexDefinition {
        if let missing = keySchema.first(where: { types[AttributeName($0.attributeName)] == nil }) {
            _ = missing
            throw .invalidParameter("Some index key attributes are not defined in AttributeDefinitions. Keys: [\(keySchema.map(\.attributeName).joined(separator: ", "))], AttributeDefinitions: [\(types.keys.sorted().map(\.string).joined(separator: ", "))]")
        }
        guard keySchema.first?.keyType == .hash else {
            throw .validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        var seen: Set<AttributeName> = []
        for element in keySchema where !seen.insert(AttributeName(element.attributeName)).inserted {
            if keySchema.count == 2 {
                throw .validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
            }
            throw .invalidParameter("Invalid KeySchema: two KeySchemaElements of index \(name) have the same name: \(element.attributeName)")
        }
        let hashes = keySchema.prefix { $0.keyType == .hash }
        let ranges = keySchema.dropFirst(hashes.count)
        if ranges.contains(where: { $0.keyType == .hash }) {
            throw .validation(keySchema.count == 2 || !isGlobal
                ? "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
                : "Invalid KeySchema: all HASH key attributes must precede the RANGE key attributes; index: \(name)")
        }
        let limit = isGlobal ? maxKeyAttributesPerRole : 1
        if hashes.count > limit {
            throw .invalidParameter(isGlobal
                ? "The KeySchema of index \(name) has \(hashes.count) HASH attributes; a global secondary index takes at most \(limit)"
                : "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key")
        }
        if ranges.count > limit {
            throw .invalidParameter(isGlobal
                ? "The KeySchema of index \(name) has \(ranges.count) RANGE attributes; a global secondary index takes at most \(limit)"
                : "Too many range keys specified for index: \(name)")
        }
        if projection.nonKeyAttributes != nil && projection.projectionType != .include {
            throw .invalidParameter("ProjectionType is \(projection.projectionType.rawValue), but NonKeyAttributes is specified")
        }
        if projection.projectionType == .include {
            guard let attributes = projection.nonKeyAttributes, !attributes.isEmpty else {
                throw .invalidParameter("NonKeyAttributes must be specified when ProjectionType is INCLUDE; index: \(name)")
            }
            for attribute in attributes { try ItemValidation.checkName(attribute) }
            if Bytewise.hasDuplicates(attributes) {
                throw .invalidParameter("Duplicate attribute name in NonKeyAttributes of index: \(name)")
            }
        }
        if isGlobal {
            switch billing {
            case .payPerRequest:
                if throughput != nil {
                    throw .invalidParameter("ProvisionedThroughput should not be specified for index: \(name) when BillingMode is PAY_PER_REQUEST")
                }
            case .provisioned:
                guard let throughput else {
                    throw .invalidParameter("ProvisionedThroughput must be specified for index: \(name)")
                }
                guard throughput.readCapacityUnits >= 1, throughput.writeCapacityUnits >= 1 else {
                    throw .invalidParameter("Each ReadCapacityUnits and WriteCapacityUnits must be greater than or equal to 1")
                }
            }
        }
        func part(_ element: KeySchemaElement) -> PrimaryKey.Part {
            PrimaryKey.Part(name: element.attributeName, type: types[AttributeName(element.attributeName)]!)
        }
        return IndexDefinition(
            name: name, id: UUID().uuidString.lowercased(), isGlobal: isGlobal,
            partition: hashes.map(part), sort: ranges.map(part), projection: projection,
            provisionedThroughput: isGlobal ? throughput : nil, status: .active)
    }
}
