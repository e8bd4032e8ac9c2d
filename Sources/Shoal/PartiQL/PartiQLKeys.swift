/// What a `WHERE` clause says about an item's key: the conjuncts it is made of, the partition
/// values it pins, the sort-key range it narrows to, and (for writes) the one full key it names.
enum PartiQLKeys {
    /// The conjuncts of `a AND b AND …` (a single one when the top is not AND).
    static func conjuncts(_ expression: PartiQLExpression?) -> [PartiQLExpression] {
        guard let expression else { return [] }
        var result: [PartiQLExpression] = []
        var pending = [expression]
        while let next = pending.popLast() {
            if case let .and(a, b) = next {
                pending.append(b)
                pending.append(a)
            } else {
                result.append(next)
            }
        }
        return result
    }

    /// The conjuncts joined by AND again (nil for none).
    static func joined(_ conjuncts: [PartiQLExpression]) -> PartiQLExpression? {
        guard var result = conjuncts.first else { return nil }
        for next in conjuncts.dropFirst() { result = .and(result, next) }
        return result
    }

    static func isAttribute(_ expression: PartiQLExpression, _ name: String) -> Bool {
        if case .path(let elements) = expression, elements.count == 1, case .name(let n) = elements[0] {
            return Bytewise.equal(n, name)
        }
        return false
    }

    /// `name = value` or `value = name`: the value expression.
    static func equality(_ expression: PartiQLExpression, on name: String) -> PartiQLExpression? {
        guard case let .comparison(a, .equal, b) = expression else { return nil }
        if isAttribute(a, name), !isPathLike(b) { return b }
        if isAttribute(b, name), !isPathLike(a) { return a }
        return nil
    }

    private static func isPathLike(_ expression: PartiQLExpression) -> Bool {
        switch expression {
        case .path, .call, .plus, .minus: return true
        default: return false
        }
    }

    /// The partition values a condition confines matching items to, and whether the condition
    /// says nothing more than that (so a query of those partitions needs no filter for it).
    static func pins(_ expression: PartiQLExpression, on name: String) -> (values: [PartiQLExpression], exact: Bool)? {
        if let value = equality(expression, on: name) { return ([value], true) }
        switch expression {
        case let .isIn(a, values) where isAttribute(a, name) && !values.contains(where: isPathLike):
            return (values, true)
        case let .or(a, b):
            guard let left = pins(a, on: name), let right = pins(b, on: name) else { return nil }
            return (left.values + right.values, left.exact && right.exact)
        case let .and(a, b):
            guard let found = pins(a, on: name) ?? pins(b, on: name) else { return nil }
            return (found.values, false)
        default:
            return nil
        }
    }

    /// A conjunct that narrows the sort key `sort` to a range a query can seek, with literal
    /// operands of the key's type; nil when the conjunct is not one (it stays a filter).
    static func sortCondition(_ expression: PartiQLExpression, sort: PrimaryKey.Part,
                              binding: PartiQLBinding) throws(ShoalError) -> SortKeyCondition? {
        func typed(_ e: PartiQLExpression) throws(ShoalError) -> AttributeValue? {
            guard !isPathLike(e), let v = try binding.value(e), v.type == sort.type.attributeType else { return nil }
            return v
        }
        switch expression {
        case let .comparison(a, op, b) where op != .notEqual:
            let (value, flipped): (AttributeValue?, Bool)
            if isAttribute(a, sort.name) { (value, flipped) = (try typed(b), false) }
            else if isAttribute(b, sort.name) { (value, flipped) = (try typed(a), true) }
            else { return nil }
            guard let value else { return nil }
            switch flipped ? op.flipped : op {
            case .equal: return SortKeyCondition(name: sort.name, .equal(value))
            case .less: return SortKeyCondition(name: sort.name, .lessThan(value))
            case .lessOrEqual: return SortKeyCondition(name: sort.name, .lessThanOrEqual(value))
            case .greater: return SortKeyCondition(name: sort.name, .greaterThan(value))
            case .greaterOrEqual: return SortKeyCondition(name: sort.name, .greaterThanOrEqual(value))
            case .notEqual: return nil
            }
        case let .between(a, low, high) where isAttribute(a, sort.name):
            guard let l = try typed(low), let h = try typed(high), KeyEncoding.compare(l, h) <= 0 else { return nil }
            return SortKeyCondition(name: sort.name, .between(l, h))
        case let .call("begins_with", arguments) where arguments.count == 2 && isAttribute(arguments[0], sort.name) && sort.type != .n:
            guard let prefix = try typed(arguments[1]) else { return nil }
            return SortKeyCondition(name: sort.name, .beginsWith(prefix))
        default:
            return nil
        }
    }

    /// The full primary key a write's `WHERE` names by equality on every key attribute, and the
    /// rest of the clause as a condition on the item.
    /// - Throws: DynamoDB's "Where clause does not contain a mandatory equality on all key attributes".
    static func fullKey(_ expression: PartiQLExpression, schema: PrimaryKey,
                        binding: PartiQLBinding) throws(ShoalError) -> (key: Item, rest: Condition?) {
        var remaining = conjuncts(expression)
        var key: Item = [:]
        for name in schema.names {
            guard let position = remaining.firstIndex(where: { equality($0, on: name) != nil }),
                  let value = try binding.value(equality(remaining[position], on: name)!) else {
                throw PartiQLError.keyEquality
            }
            key[AttributeName(name)] = value
            remaining.remove(at: position)
        }
        return (key, try joined(remaining).map { e throws(ShoalError) in try binding.condition(e) })
    }
}
