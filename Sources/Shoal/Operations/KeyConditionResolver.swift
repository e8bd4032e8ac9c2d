/// Turns a parsed KeyConditionExpression or legacy `KeyConditions` into the typed ``KeyCondition``
/// that Query executes, with DynamoDB's rules and messages.
enum KeyConditionResolver {
    static func resolve(_ condition: Condition, schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        var parts: [(name: String, op: SortKeyCondition.Operator)] = []
        try collect(condition, into: &parts)
        var seen: Set<String> = []
        for part in parts where !seen.insert(part.name).inserted {
            throw .validation("Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
        }
        return try assemble(parts, schema: schema)
    }

    private static func collect(_ condition: Condition, into parts: inout [(name: String, op: SortKeyCondition.Operator)]) throws(ShoalError) {
        func invalidOperator(_ name: String) -> ShoalError {
            .validation("Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: \(name)")
        }
        func keyName(_ operand: Operand) throws(ShoalError) -> String? {
            guard case .path(let path) = operand else { return nil }
            guard path.isTopLevel else {
                throw .validation("Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes")
            }
            return path.attribute
        }
        func literal(_ operand: Operand) -> AttributeValue? {
            if case .value(let v) = operand { return v }
            return nil
        }
        let noKey = ShoalError.validation("Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified")
        switch condition {
        case let .and(a, b):
            try collect(a, into: &parts)
            try collect(b, into: &parts)
        case .or: throw invalidOperator("OR")
        case .not: throw invalidOperator("NOT")
        case .isIn: throw invalidOperator("IN")
        case .attributeExists: throw invalidOperator("attribute_exists")
        case .attributeNotExists: throw invalidOperator("attribute_not_exists")
        case .attributeType: throw invalidOperator("attribute_type")
        case .contains: throw invalidOperator("contains")
        case let .comparison(a, op, b):
            if op == .notEqual { throw invalidOperator("<>") }
            if case .size = a { throw invalidOperator("size") }
            if case .size = b { throw invalidOperator("size") }
            let (name, value, effective): (String, AttributeValue, ComparisonOperator)
            if let n = try keyName(a), let v = literal(b) {
                (name, value, effective) = (n, v, op)
            } else if let n = try keyName(b), let v = literal(a) {
                (name, value, effective) = (n, v, op.flipped)
            } else {
                throw noKey
            }
            let sortOp: SortKeyCondition.Operator
            switch effective {
            case .equal: sortOp = .equal(value)
            case .less: sortOp = .lessThan(value)
            case .lessOrEqual: sortOp = .lessThanOrEqual(value)
            case .greater: sortOp = .greaterThan(value)
            case .greaterOrEqual: sortOp = .greaterThanOrEqual(value)
            case .notEqual: throw invalidOperator("<>")
            }
            parts.append((name, sortOp))
        case let .between(a, low, high):
            guard let name = try keyName(a), let l = literal(low), let h = literal(high) else { throw noKey }
            parts.append((name, .between(l, h)))
        case let .beginsWith(a, prefix):
            guard let name = try keyName(a), let p = literal(prefix) else { throw noKey }
            parts.append((name, .beginsWith(p)))
        }
    }

    /// Legacy `KeyConditions`.
    static func resolve(_ conditions: [String: LegacyCondition], schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        guard (1...2).contains(conditions.count) else { throw .validation("Conditions can be of length 1 or 2 only") }
        var parts: [(name: String, op: SortKeyCondition.Operator)] = []
        for name in conditions.keys.sorted() {
            let c = conditions[name]!
            let args = c.attributeValueList
            let counts: [LegacyComparisonOperator: Int] = [.eq: 1, .le: 1, .lt: 1, .ge: 1, .gt: 1, .beginsWith: 1, .between: 2]
            guard let expected = counts[c.comparisonOperator] else {
                throw .validation("Attempted conditional constraint is not an indexable operation")
            }
            guard args.count == expected else {
                throw .validation("The attempted filter operation is not supported for the provided filter argument count")
            }
            let op: SortKeyCondition.Operator
            switch c.comparisonOperator {
            case .eq: op = .equal(args[0])
            case .le: op = .lessThanOrEqual(args[0])
            case .lt: op = .lessThan(args[0])
            case .ge: op = .greaterThanOrEqual(args[0])
            case .gt: op = .greaterThan(args[0])
            case .beginsWith: op = .beginsWith(args[0])
            default: op = .between(args[0], args[1])
            }
            parts.append((name, op))
        }
        return try assemble(parts, schema: schema)
    }

    private static func assemble(_ parts: [(name: String, op: SortKeyCondition.Operator)], schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        guard let partition = parts.first(where: { $0.name == schema.partition.name }) else {
            throw .validation("Query condition missed key schema element: \(schema.partition.name)")
        }
        guard case .equal(let value) = partition.op else {
            throw .validation("Query key condition not supported")
        }
        var condition = KeyCondition(partitionKeyName: partition.name, partitionKeyValue: value)
        for part in parts where part.name != schema.partition.name {
            guard let sort = schema.sort, part.name == sort.name else {
                throw .validation("Query condition missed key schema element: \(schema.sort?.name ?? part.name)")
            }
            condition.sortKey = SortKeyCondition(name: part.name, part.op)
        }
        return condition
    }
}

/// What Query and Scan do with each evaluated item: filter, project, count — decoding from the
/// stored bytes only the top-level attributes each step needs.
struct ReadShaping {
    let filter: Condition?
    let projection: [DocumentPath]?
    let countOnly: Bool
    private let filterSelection: ItemCodec.AttributeSelection?
    private let projectionSelection: ItemCodec.AttributeSelection?
    private let keySelection: ItemCodec.AttributeSelection

    init(filter: Condition?, projection: [DocumentPath]?, countOnly: Bool, schema: PrimaryKey) {
        self.filter = filter
        self.projection = projection
        self.countOnly = countOnly
        let keyNames = Set(schema.names)
        keySelection = ItemCodec.AttributeSelection(keyNames)
        filterSelection = filter.map { ItemCodec.AttributeSelection(ReadShaping.attributes(of: $0).union(keyNames)) }
        projectionSelection = projection.map { ItemCodec.AttributeSelection(Set($0.map(\.attribute)).union(keyNames)) }
    }

    /// The entry for one stored value: its key, size, and what the response gets.
    func entry(_ value: [UInt8], schema: PrimaryKey, run: [UInt8]?) throws(ShoalError) -> StoredEntry {
        var reader = ByteReader(value)
        let size = try reader.varint()
        let start = reader.offset
        if let filter, let filterSelection {
            let partial = try ItemCodec.decode(value, from: start, only: filterSelection)
            let key = try schema.storedKey(of: partial)
            guard ConditionEvaluator.evaluate(filter, on: partial) else {
                return StoredEntry(key: key, size: size, result: nil, run: run)
            }
            return StoredEntry(key: key, size: size, result: try result(value, from: start, partial: partial), run: run)
        }
        if countOnly {
            let keys = try ItemCodec.decode(value, from: start, only: keySelection)
            return StoredEntry(key: try schema.storedKey(of: keys), size: size, result: [:], run: run)
        }
        if let projection, let projectionSelection {
            let partial = try ItemCodec.decode(value, from: start, only: projectionSelection)
            return StoredEntry(key: try schema.storedKey(of: partial), size: size, result: Projection.apply(projection, to: partial), run: run)
        }
        let item = try ItemCodec.decode(value, from: start)
        return StoredEntry(key: try schema.storedKey(of: item), size: size, result: item, run: run)
    }

    private func result(_ value: [UInt8], from start: Int, partial: Item) throws(ShoalError) -> Item {
        if countOnly { return [:] }
        if let projection, let projectionSelection {
            return Projection.apply(projection, to: try ItemCodec.decode(value, from: start, only: projectionSelection))
        }
        return try ItemCodec.decode(value, from: start)
    }

    /// The top-level attributes a condition reads (for the Query filter's key-attribute rule).
    static func attributes(of condition: Condition) -> Set<String> {
        func names(_ operand: Operand) -> Set<String> {
            switch operand {
            case .path(let p), .size(let p): return [p.attribute]
            case .value: return []
            case let .ifNotExists(p, o): return names(o).union([p.attribute])
            case let .listAppend(a, b), let .plus(a, b), let .minus(a, b): return names(a).union(names(b))
            }
        }
        switch condition {
        case let .comparison(a, _, b), let .beginsWith(a, b), let .contains(a, b): return names(a).union(names(b))
        case let .between(a, b, c): return names(a).union(names(b)).union(names(c))
        case let .isIn(a, list): return list.reduce(names(a)) { $0.union(names($1)) }
        case let .and(a, b), let .or(a, b): return attributes(of: a).union(attributes(of: b))
        case .not(let a): return attributes(of: a)
        case .attributeExists(let p), .attributeNotExists(let p): return [p.attribute]
        case let .attributeType(p, o): return names(o).union([p.attribute])
        }
    }

    /// The filter of a Query or Scan, from `FilterExpression`, the typed value, or the legacy filter.
    static func filter(expression: String?, typed: Condition?, legacy: [String: LegacyCondition]?,
                       conditionalOperator: ConditionalOperator?, input: inout ExpressionInput) throws(ShoalError) -> Condition? {
        if (expression != nil || typed != nil) && (legacy != nil || conditionalOperator != nil) {
            throw LegacyParameters.mixed
        }
        if conditionalOperator != nil && legacy == nil {
            throw .validation("ConditionalOperator cannot be used without Filter or Expected")
        }
        if let legacy { return try LegacyParameters.condition(legacy, conditionalOperator: conditionalOperator) }
        let parsed = try input.condition(expression, kind: .filter)
        if let typed { try ExpressionChecks.check(typed, kind: .filter) }
        switch (parsed, typed) {
        case let (a?, b?): return .and(a, b)
        default: return parsed ?? typed
        }
    }
}
