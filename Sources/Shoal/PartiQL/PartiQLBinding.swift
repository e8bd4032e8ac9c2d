/// Turns a parsed statement's expressions into the engine's own values, with the request's
/// parameters bound: literals into ``AttributeValue``s, `WHERE` into a ``Condition``, `SET`
/// values into ``Operand``s. What DynamoDB's dialect does not allow where it appears is refused here.
struct PartiQLBinding {
    let parameters: [AttributeValue]

    init(_ parameters: [AttributeValue], for statement: PartiQLStatement) throws(ShoalError) {
        try self.init(parameters, count: statement.parameterCount)
    }

    /// - Parameter count: how many `?` the statement has.
    init(_ parameters: [AttributeValue], count: Int) throws(ShoalError) {
        guard parameters.count == count else { throw PartiQLError.parameterCount }
        self.parameters = parameters
    }

    /// A value made only of literals and parameters (INSERT's item, a comparison's right side).
    func value(_ expression: PartiQLExpression) throws(ShoalError) -> AttributeValue? {
        switch expression {
        case .literal(let v): return v
        case .parameter(let i): return parameters[i]
        case .list(let items):
            return try values(items).map(AttributeValue.l)
        case let .map(keys, items):
            var map: Item = [:]
            for (key, item) in zip(keys, items) {
                guard let v = try value(item) else { return nil }
                map[AttributeName(key)] = v
            }
            return .m(map)
        case .set(let items):
            guard let elements = try values(items) else { return nil }
            return try PartiQLBinding.set(elements)
        default:
            return nil
        }
    }

    /// The values of several expressions, or nil when one is not made of literals and parameters.
    private func values(_ items: [PartiQLExpression]) throws(ShoalError) -> [AttributeValue]? {
        var values: [AttributeValue] = []
        for item in items {
            guard let v = try value(item) else { return nil }
            values.append(v)
        }
        return values
    }

    /// `<<…>>`: every element a string, every element a number, or every element binary.
    static func set(_ values: [AttributeValue]) throws(ShoalError) -> AttributeValue {
        guard let first = values.first else {
            throw .validation("One or more parameter values were invalid: An string set  may not be empty")
        }
        /// Every element through `element`, which answers nil for one of another type.
        func all<T>(_ element: (AttributeValue) -> T?) throws(ShoalError) -> [T] {
            var result: [T] = []
            for v in values {
                guard let e = element(v) else { throw mixedSet }
                result.append(e)
            }
            return result
        }
        switch first {
        case .s: return .ss(try all { if case .s(let s) = $0 { s } else { nil } })
        case .n: return .ns(try all { if case .n(let n) = $0 { n } else { nil } })
        case .b: return .bs(try all { if case .b(let b) = $0 { b } else { nil } })
        default:
            throw .validation("A set can only hold strings, numbers or binary values; found \(first.type.rawValue)")
        }
    }

    private static let mixedSet = ShoalError.validation("The elements of a set must all be strings, all numbers or all binary values")

    /// An operand of a condition.
    func operand(_ expression: PartiQLExpression) throws(ShoalError) -> Operand {
        if case .path(let elements) = expression { return .path(DocumentPath(elements)) }
        if case let .call(name, arguments) = expression, name == "size" {
            guard arguments.count == 1 else { throw wrongArguments(name, 1) }
            return .size(try operand(arguments[0]))
        }
        if let v = try value(expression) { return .value(v) }
        throw PartiQLError.unsupported("\(PartiQLBinding.describe(expression)) cannot be used as a value in a condition")
    }

    /// `WHERE` as a condition.
    func condition(_ expression: PartiQLExpression) throws(ShoalError) -> Condition {
        switch expression {
        case let .comparison(a, op, b): return .comparison(try operand(a), op, try operand(b))
        case let .between(a, low, high): return .between(try operand(a), try operand(low), try operand(high))
        case let .isIn(a, items):
            guard !items.isEmpty else { throw .validation("The IN operator needs at least one value") }
            guard items.count <= 100 else {
                throw .validation("The IN operator is limited to 100 values; the statement has \(items.count)")
            }
            var operands: [Operand] = []
            for item in items { operands.append(try operand(item)) }
            return .isIn(try operand(a), operands)
        case let .and(a, b): return .and(try condition(a), try condition(b))
        case let .or(a, b): return .or(try condition(a), try condition(b))
        case .not(let a): return .not(try condition(a))
        case let .isMissing(a, negated):
            let path = try self.path(a, in: "IS MISSING")
            return negated ? .attributeExists(path) : .attributeNotExists(path)
        case let .isNull(a, negated):
            // As PartiQL defines it: a missing attribute IS NULL too.
            let path = try self.path(a, in: "IS NULL")
            let isNull = Condition.or(.attributeNotExists(path), .attributeType(.path(path), .value(.s("NULL"))))
            return negated ? .not(isNull) : isNull
        case let .call(name, arguments):
            switch name {
            case "begins_with":
                guard arguments.count == 2 else { throw wrongArguments(name, 2) }
                return .beginsWith(try operand(arguments[0]), try operand(arguments[1]))
            case "contains":
                guard arguments.count == 2 else { throw wrongArguments(name, 2) }
                return .contains(try operand(arguments[0]), try operand(arguments[1]))
            case "attribute_type":
                guard arguments.count == 2 else { throw wrongArguments(name, 2) }
                return .attributeType(try operand(arguments[0]), try operand(arguments[1]))
            case "missing":
                guard arguments.count == 1 else { throw wrongArguments(name, 1) }
                return .attributeNotExists(try path(arguments[0], in: "MISSING"))
            case "exists":
                throw PartiQLError.unsupported("EXISTS can only be used as a statement of ExecuteTransaction")
            default:
                throw PartiQLError.unsupported("the function \(name) cannot be used in a WHERE clause")
            }
        case .path, .literal, .parameter, .list, .map, .set, .plus, .minus:
            throw PartiQLError.unsupported("\(PartiQLBinding.describe(expression)) is not a condition")
        }
    }

    /// A `SET` value: a value, a path, arithmetic, or one of the update functions.
    func updateOperand(_ expression: PartiQLExpression) throws(ShoalError) -> Operand {
        switch expression {
        case .path(let elements): return .path(DocumentPath(elements))
        case let .plus(a, b): return .plus(try updateOperand(a), try updateOperand(b))
        case let .minus(a, b): return .minus(try updateOperand(a), try updateOperand(b))
        case let .call(name, arguments):
            guard arguments.count == 2 else { throw wrongArguments(name, 2) }
            let (a, b) = (try updateOperand(arguments[0]), try updateOperand(arguments[1]))
            switch name {
            case "list_append": return .listAppend(a, b)
            case "set_add": return .setAdd(a, b)
            case "set_delete": return .setDelete(a, b)
            default: throw PartiQLError.unsupported("the function \(name) cannot be used in SET")
            }
        default:
            if let v = try value(expression) { return .value(v) }
            throw PartiQLError.unsupported("\(PartiQLBinding.describe(expression)) cannot be used as a value in SET")
        }
    }

    private func path(_ expression: PartiQLExpression, in construct: String) throws(ShoalError) -> DocumentPath {
        guard case .path(let elements) = expression else {
            throw PartiQLError.unsupported("\(construct) applies to an attribute path")
        }
        return DocumentPath(elements)
    }

    private func wrongArguments(_ name: String, _ count: Int) -> ShoalError {
        .validation("The function \(name) takes \(count) argument\(count == 1 ? "" : "s")")
    }

    static func describe(_ expression: PartiQLExpression) -> String {
        switch expression {
        case .path(let p): return "the path \(DocumentPath(p))"
        case .literal, .parameter, .list, .map, .set: return "a value"
        case .call(let name, _): return "the function \(name)"
        case .plus, .minus: return "arithmetic"
        default: return "a condition"
        }
    }
}
