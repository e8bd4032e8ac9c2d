import Shoal

/// CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTable and the table-level
/// read-only operations (TTL, backups, tags, endpoints, limits).
struct TableOperations: Sendable {
    let database: Database

    func createTable(_ r: RequestReader, _ context: OperationContext) async throws(ProtocolError) -> JSONValue {
        let request = try createTableRequest(r)
        let description = try await engine { [request] () async throws(ShoalError) in try await database.createTable(request).tableDescription }
        return .object([("TableDescription", ResponseJSON.tableDescription(description, region: context.region))])
    }

    /// A CreateTable body (or ImportTable's `TableCreationParameters`) as the engine's request.
    func createTableRequest(_ r: RequestReader) throws(ProtocolError) -> CreateTableRequest {
        let name = try r.requiredString("TableName")
        // Missing members are framework errors, all reported together with their positions.
        var missing = ConstraintViolations()
        func null(_ field: String) { missing.add("Value null at '\(field)' failed to satisfy constraint: Member must not be null") }
        let tableKeySchema = try keySchema(r, field: "keySchema", missing: &missing)
        var definitions: [AttributeDefinition] = []
        for (i, json) in (try r.array("AttributeDefinitions") ?? []).enumerated() {
            let e = try RequestReader(json)
            let name = try e.string("AttributeName")
            let type = try e.enumeration("AttributeType", ScalarAttributeType.self)
            if name == nil { null("attributeDefinitions.\(i + 1).member.attributeName") }
            if type == nil { null("attributeDefinitions.\(i + 1).member.attributeType") }
            if let name, let type { definitions.append(AttributeDefinition(attributeName: name, attributeType: type)) }
        }
        let throughput = try throughput(r, missing: &missing)
        var globals: [GlobalSecondaryIndex]?
        if let list = try r.array("GlobalSecondaryIndexes") {
            globals = []
            for (i, json) in list.enumerated() {
                globals!.append(try globalIndex(try RequestReader(json), field: "globalSecondaryIndexes.\(i + 1).member", missing: &missing))
            }
        }
        var locals: [LocalSecondaryIndex]?
        if let list = try r.array("LocalSecondaryIndexes") {
            locals = []
            for (i, json) in list.enumerated() {
                let e = try RequestReader(json)
                let field = "localSecondaryIndexes.\(i + 1).member"
                let indexName = try e.string("IndexName")
                if indexName == nil { null("\(field).indexName") }
                let schema = try keySchema(e, field: "\(field).keySchema", missing: &missing)
                let projection = try projection(e, field: field, missing: &missing)
                locals!.append(LocalSecondaryIndex(indexName: indexName ?? "", keySchema: schema, projection: projection))
            }
        }
        try engine { () throws(ShoalError) in try missing.throwIfAny() }
        let tags = try parseTags(r)
        var request = CreateTableRequest(
            tableName: name, keySchema: tableKeySchema, attributeDefinitions: definitions,
            billingMode: try r.enumeration("BillingMode", BillingMode.self),
            provisionedThroughput: throughput, tags: tags, globalSecondaryIndexes: globals, localSecondaryIndexes: locals)
        request.streamSpecification = try streamSpecification(r)
        request.deletionProtectionEnabled = try r.bool("DeletionProtectionEnabled")
        request.tableClass = try r.enumeration("TableClass", TableClass.self)
        request.sseSpecification = try sseSpecification(r)
        (request.onDemandThroughput, request.warmThroughput) = (try onDemandThroughput(r), try warmThroughput(r))
        if let policy = try r.string("ResourcePolicy") {
            _ = try PolicyDocument(policy, ownerArn: "arn:aws:dynamodb:\(database.options.region):\(Principal.serverAccount):table/\(name)")
            request.resourcePolicy = policy
        }
        return request
    }

    /// `SSESpecification`.
    func sseSpecification(_ r: RequestReader, member: String = "SSESpecification") throws(ProtocolError) -> SSESpecification? {
        guard let s = try r.object(member) else { return nil }
        return SSESpecification(enabled: try s.bool("Enabled"), sseType: try s.enumeration("SSEType", SSEType.self),
                                kmsMasterKeyId: try s.string("KMSMasterKeyId"))
    }

    func onDemandThroughput(_ r: RequestReader, member: String = "OnDemandThroughput") throws(ProtocolError) -> OnDemandThroughput? {
        guard let o = try r.object(member) else { return nil }
        return OnDemandThroughput(maxReadRequestUnits: try o.int64("MaxReadRequestUnits"), maxWriteRequestUnits: try o.int64("MaxWriteRequestUnits"))
    }

    private func warmThroughput(_ r: RequestReader) throws(ProtocolError) -> WarmThroughput? {
        guard let w = try r.object("WarmThroughput") else { return nil }
        return WarmThroughput(readUnitsPerSecond: try w.int64("ReadUnitsPerSecond"), writeUnitsPerSecond: try w.int64("WriteUnitsPerSecond"))
    }

    /// `StreamSpecification`: `StreamEnabled` is required inside it.
    private func streamSpecification(_ r: RequestReader) throws(ProtocolError) -> StreamSpecification? {
        guard let s = try r.object("StreamSpecification") else { return nil }
        guard let enabled = try s.bool("StreamEnabled") else {
            throw .validation("1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null")
        }
        return StreamSpecification(streamEnabled: enabled, streamViewType: try s.enumeration("StreamViewType", StreamViewType.self))
    }

    func keySchema(_ r: RequestReader, field: String, missing: inout ConstraintViolations) throws(ProtocolError) -> [KeySchemaElement] {
        var keySchema: [KeySchemaElement] = []
        for (i, json) in (try r.array("KeySchema") ?? []).enumerated() {
            let e = try RequestReader(json)
            let name = try e.string("AttributeName")
            let type = try e.enumeration("KeyType", KeyType.self)
            if name == nil { missing.add("Value null at '\(field).\(i + 1).member.attributeName' failed to satisfy constraint: Member must not be null") }
            if type == nil { missing.add("Value null at '\(field).\(i + 1).member.keyType' failed to satisfy constraint: Member must not be null") }
            if let name, let type { keySchema.append(KeySchemaElement(attributeName: name, keyType: type)) }
        }
        return keySchema
    }

    func projection(_ r: RequestReader, field: String, missing: inout ConstraintViolations) throws(ProtocolError) -> IndexProjection {
        guard let p = try r.object("Projection") else {
            missing.add("Value null at '\(field).projection' failed to satisfy constraint: Member must not be null")
            return .all
        }
        guard let type = try p.enumeration("ProjectionType", ProjectionType.self) else {
            throw .validation("One or more parameter values were invalid: Unknown ProjectionType: null")
        }
        return IndexProjection(type, nonKeyAttributes: try p.stringArray("NonKeyAttributes"))
    }

    func globalIndex(_ e: RequestReader, field: String, missing: inout ConstraintViolations) throws(ProtocolError) -> GlobalSecondaryIndex {
        let indexName = try e.string("IndexName")
        if indexName == nil { missing.add("Value null at '\(field).indexName' failed to satisfy constraint: Member must not be null") }
        let schema = try keySchema(e, field: "\(field).keySchema", missing: &missing)
        let projection = try projection(e, field: field, missing: &missing)
        let throughput = try throughput(e, missing: &missing, field: "\(field).provisionedThroughput")
        return GlobalSecondaryIndex(indexName: indexName ?? "", keySchema: schema, projection: projection, provisionedThroughput: throughput)
    }

    func throughput(_ r: RequestReader, missing: inout ConstraintViolations,
                            field prefix: String = "provisionedThroughput") throws(ProtocolError) -> ProvisionedThroughput? {
        guard let t = try r.object("ProvisionedThroughput") else { return nil }
        let read = try t.int64("ReadCapacityUnits")
        let write = try t.int64("WriteCapacityUnits")
        for (value, field) in [(read, "readCapacityUnits"), (write, "writeCapacityUnits")] where value == nil {
            missing.add("Value null at '\(prefix).\(field)' failed to satisfy constraint: Member must not be null")
        }
        guard let read, let write else { return nil }
        return ProvisionedThroughput(readCapacityUnits: read, writeCapacityUnits: write)
    }

    /// `Tags`: every tag needs a key (1 to 128 characters) and a value (0 to 256), each reported
    /// at its place in the list, as DynamoDB's framework does.
    private func parseTags(_ r: RequestReader, field: String = "Tags") throws(ProtocolError) -> [String: String]? {
        guard let list = try r.array(field) else { return nil }
        var violations = ConstraintViolations()
        var tags: [String: String] = [:]
        for (i, json) in list.enumerated() {
            let tag = try RequestReader(json)
            let path = "tags.\(i + 1).member"
            let key = try tag.string("Key")
            let value = try tag.string("Value")
            if key == nil { violations.add("Value null at '\(path).key' failed to satisfy constraint: Member must not be null") }
            if value == nil { violations.add("Value null at '\(path).value' failed to satisfy constraint: Member must not be null") }
            if let key, !(1...TagRules.maxKeyLength).contains(key.unicodeScalars.count) {
                violations.add("Value '\(key)' at '\(path).key' failed to satisfy constraint: Member must have length \(key.isEmpty ? "greater than or equal to 1" : "less than or equal to \(TagRules.maxKeyLength)")")
            }
            if let value, value.unicodeScalars.count > TagRules.maxValueLength {
                violations.add("Value '\(value)' at '\(path).value' failed to satisfy constraint: Member must have length less than or equal to \(TagRules.maxValueLength)")
            }
            if let key, let value { tags[key] = value }
        }
        try engine { () throws(ShoalError) in try violations.throwIfAny() }
        return tags
    }

    func deleteTable(_ r: RequestReader, _ context: OperationContext) async throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        let description = try await engine { () async throws(ShoalError) in try await database.deleteTable(name).tableDescription }
        return .object([("TableDescription", ResponseJSON.deletedTableDescription(description, region: context.region))])
    }

    func describeTable(_ r: RequestReader, _ context: OperationContext) throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        let table = try engine { () throws(ShoalError) in try database.describeTable(name).table }
        return .object([("Table", ResponseJSON.tableDescription(table, region: context.region))])
    }

    func listTables(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let request = ListTablesRequest(exclusiveStartTableName: try r.string("ExclusiveStartTableName"), limit: try r.int("Limit"))
        let response = try engine { () throws(ShoalError) in try database.listTables(request) }
        var members: [(String, JSONValue)] = [("TableNames", .array(response.tableNames.map { .string($0) }))]
        if let last = response.lastEvaluatedTableName { members.append(("LastEvaluatedTableName", .string(last))) }
        return .object(members)
    }

    func updateTable(_ r: RequestReader, _ context: OperationContext) async throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        for unsupported in ["ReplicaUpdates"] where r.has(unsupported) {
            throw .validation("One or more parameter values were invalid: \(unsupported) is not supported by this Shoal version yet")
        }
        var missing = ConstraintViolations()
        let throughput = try throughput(r, missing: &missing)
        var updates: [GlobalSecondaryIndexUpdate]?
        if let list = try r.array("GlobalSecondaryIndexUpdates") {
            updates = []
            for (i, json) in list.enumerated() {
                let u = try RequestReader(json)
                let field = "globalSecondaryIndexUpdates.\(i + 1).member"
                if ["Create", "Delete", "Update"].filter({ u.has($0) }).count > 1 {
                    throw .validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update or GlobalSecondaryIndexUpdate.Delete must be specified, and only one")
                }
                if let create = try u.object("Create") {
                    updates!.append(.create(try globalIndex(create, field: "\(field).create", missing: &missing)))
                } else if let delete = try u.object("Delete") {
                    updates!.append(.delete(indexName: try delete.requiredString("IndexName")))
                } else if let update = try u.object("Update") {
                    let indexName = try update.requiredString("IndexName")
                    guard let t = try self.throughput(update, missing: &missing, field: "\(field).update.provisionedThroughput") else {
                        throw .validation("1 validation error detected: Value null at '\(field).update.provisionedThroughput' failed to satisfy constraint: Member must not be null")
                    }
                    updates!.append(.update(indexName: indexName, provisionedThroughput: t))
                } else {
                    throw .validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified")
                }
            }
        }
        var definitions: [AttributeDefinition]?
        if let list = try r.array("AttributeDefinitions") {
            definitions = []
            for json in list {
                let e = try RequestReader(json)
                guard let type = try e.enumeration("AttributeType", ScalarAttributeType.self) else {
                    throw .validation("1 validation error detected: Value null at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must not be null")
                }
                definitions!.append(AttributeDefinition(attributeName: try e.requiredString("AttributeName"), attributeType: type))
            }
        }
        try engine { () throws(ShoalError) in try missing.throwIfAny() }
        var request = UpdateTableRequest(tableName: name, billingMode: try r.enumeration("BillingMode", BillingMode.self),
                                         provisionedThroughput: throughput, attributeDefinitions: definitions,
                                         globalSecondaryIndexUpdates: updates, streamSpecification: try streamSpecification(r))
        request.deletionProtectionEnabled = try r.bool("DeletionProtectionEnabled")
        request.tableClass = try r.enumeration("TableClass", TableClass.self)
        request.sseSpecification = try sseSpecification(r)
        (request.onDemandThroughput, request.warmThroughput) = (try onDemandThroughput(r), try warmThroughput(r))
        let description = try await engine { [request] () async throws(ShoalError) in try await database.updateTable(request) }
        return .object([("TableDescription", ResponseJSON.tableDescription(description, region: context.region))])
    }

    func describeTimeToLive(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        let description = try engine { () throws(ShoalError) in try database.describeTimeToLive(name) }
        var members: [(String, JSONValue)] = [("TimeToLiveStatus", .string(description.status.rawValue))]
        if let attribute = description.attributeName { members.append(("AttributeName", .string(attribute))) }
        return .object([("TimeToLiveDescription", .object(members))])
    }

    func updateTimeToLive(_ r: RequestReader) async throws(ProtocolError) -> JSONValue {
        let name = try r.requiredString("TableName")
        guard let spec = try r.object("TimeToLiveSpecification") else {
            throw .validation("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
        }
        guard let enabled = try spec.bool("Enabled") else {
            throw .validation("1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null")
        }
        guard let attribute = try spec.string("AttributeName") else {
            throw .validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
        }
        let specification = TimeToLiveSpecification(enabled: enabled, attributeName: attribute)
        let result = try await engine { () async throws(ShoalError) in try await database.updateTimeToLive(name, specification) }
        return .object([("TimeToLiveSpecification", .object([("Enabled", .bool(result.enabled)), ("AttributeName", .string(result.attributeName))]))])
    }

    /// The table named by an ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`).
    /// The table a tagging operation's `ResourceArn` names, with DynamoDB's answers: not an ARN is
    /// a ValidationException; another service's ARN is AccessDeniedException; a DynamoDB ARN of
    /// something other than a table (an index, a stream, a backup) is a ValidationException; a
    /// table that does not exist is ResourceNotFoundException.
    private func tableName(fromArn arn: String, operation: String) throws(ProtocolError) -> String {
        var violations = ConstraintViolations()
        violations.checkLength(arn, field: "resourceArn", min: 1, max: 1283)
        try engine { () throws(ShoalError) in try violations.throwIfAny() }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty else {
            throw .validation("Invalid TableArn: Invalid ResourceArn provided as input \(arn)")
        }
        guard parts[2] == "dynamodb" else {
            throw ProtocolError(type: ProtocolError.coralNamespace + "AccessDeniedException",
                                message: "User is not authorized to perform: dynamodb:\(operation) on resource: \(arn)")
        }
        let resource = parts[5].split(separator: "/", omittingEmptySubsequences: false)
        guard resource.count == 2, resource[0] == "table", !resource[1].isEmpty else {
            throw .validation("Invalid TableArn: \(arn) is not the ARN of a DynamoDB table; only tables can be tagged")
        }
        let name = String(resource[1])
        guard try exists(name) else {
            throw ProtocolError(ShoalError(.resourceNotFound, "Requested resource not found: ResourcArn: \(arn) not found"))
        }
        return name
    }

    /// Whether the table exists; any other failure is reported as itself, never as "not found".
    private func exists(_ name: String) throws(ProtocolError) -> Bool {
        do {
            _ = try database.describeTable(name)
            return true
        } catch where error.kind == .resourceNotFound {
            return false
        } catch where error.kind == .validation {
            return false
        } catch {
            throw ProtocolError(error)
        }
    }

    func tagResource(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let tags = try parseTags(r) ?? [:]
        let name = try tableName(fromArn: try r.requiredString("ResourceArn"), operation: "TagResource")
        try engine { () throws(ShoalError) in try database.tagResource(tableName: name, tags: tags) }
        return .null  // DynamoDB's answer has an empty body
    }

    func untagResource(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let name = try tableName(fromArn: try r.requiredString("ResourceArn"), operation: "UntagResource")
        guard let keys = try r.stringArray("TagKeys") else {
            throw .validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
        }
        try engine { () throws(ShoalError) in try database.untagResource(tableName: name, keys: keys) }
        return .null  // DynamoDB's answer has an empty body
    }

    func listTagsOfResource(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let name = try tableName(fromArn: try r.requiredString("ResourceArn"), operation: "ListTagsOfResource")
        let tags = try engine { () throws(ShoalError) in try database.listTags(tableName: name) }
        return .object([("Tags", .array(tags.map { .object([("Key", .string($0.key)), ("Value", .string($0.value))]) }))])
    }

    func describeEndpoints(_ context: OperationContext) -> JSONValue {
        .object([("Endpoints", .array([.object([("Address", .string(context.endpoint)), ("CachePeriodInMinutes", .number("1440"))])]))])
    }

    func describeLimits() -> JSONValue {
        .object([
            ("AccountMaxReadCapacityUnits", .number("80000")), ("AccountMaxWriteCapacityUnits", .number("80000")),
            ("TableMaxReadCapacityUnits", .number("40000")), ("TableMaxWriteCapacityUnits", .number("40000")),
        ])
    }
}
