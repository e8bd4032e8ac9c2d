/// Turns a parsed KeyConditionExpression or legacy `KeyConditions` into the typed ``KeyCondition``
/// that Query executes, with DynamoDB's rules and messages.
enum KeyConditionResolver {
    static func resolve(_ condition: Condition, schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        try assemble(try parts(condition), schema: schema)
    }

    /// The conditions on each key attribute, one per attribute (a Query on an index matches them
    /// to the index's key attributes).
    static func parts(_ condition: Condition) throws(ShoalError) -> [(name: String, op: SortKeyCondition.Operator)] {
        var parts: [(name: String, op: SortKeyCondition.Operator)] = []
        try collect(condition, into: &parts)
        var seen: Set<AttributeName> = []
        for part in parts where !seen.insert(AttributeName(part.name)).inserted {
            throw .validation("Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
        }
        return parts
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
    static func resolve(_ conditions: [AttributeName: LegacyCondition], schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        guard (1...2).contains(conditions.count) else { throw .validation("Conditions can be of length 1 or 2 only") }
        return try assemble(try parts(conditions), schema: schema)
    }

    /// Legacy `KeyConditions` as one condition per attribute.
    static func parts(_ conditions: [AttributeName: LegacyCondition], maxCount: Int = 2) throws(ShoalError) -> [(name: String, op: SortKeyCondition.Operator)] {
        guard (1...maxCount).contains(conditions.count) else {
            throw .validation(maxCount == 2 ? "Conditions can be of length 1 or 2 only" : "Conditions can be of length 1 to \(maxCount) only")
        }
        var parts: [(name: String, op: SortKeyCondition.Operator)] = []
        for name in conditions.keys.sorted().map(\.string) {
            let c = conditions[name]!
            let args = c.attributeValueList
            let counts: [LegacyComparisonOperator: Int] = [.eq: 1, .le: 1, .lt: 1, .ge: 1, .gt: 1, .beginsWith: 1, .between: 2]
            guard let expected = counts[c.comparisonOperator] else {
                throw .validation("Attempted conditional constraint is not an indexable operation")
            }
            guard args.count == expected else { throw LegacyParameters.argumentCountError(c.comparisonOperator) }
            let allowed: [AttributeType] = c.comparisonOperator == .beginsWith ? [.s, .b] : [.s, .n, .b]
            for value in args where !allowed.contains(value.type) {
                throw .invalidParameter("ComparisonOperator \(c.comparisonOperator.rawValue) is not valid for \(value.type.rawValue) AttributeValue type")
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
        return parts
    }

    private static func assemble(_ parts: [(name: String, op: SortKeyCondition.Operator)], schema: PrimaryKey) throws(ShoalError) -> KeyCondition {
        guard let partition = parts.first(where: { Bytewise.equal($0.name, schema.partition.name) }) else {
            throw .validation("Query condition missed key schema element: \(schema.partition.name)")
        }
        guard case .equal(let value) = partition.op else {
            throw .validation("Query key condition not supported")
        }
        var condition = KeyCondition(partitionKeyName: partition.name, partitionKeyValue: value)
        for part in parts where !Bytewise.equal(part.name, schema.partition.name) {
            guard let sort = schema.sort, Bytewise.equal(part.name, sort.name) else {
                throw .validation("Query condition missed key schema element: \(schema.sort?.name ?? part.name)")
            }
            condition.sortKey = SortKeyCondition(name: part.name, part.op)
        }
        return condition
    }
}
