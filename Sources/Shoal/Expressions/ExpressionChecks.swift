/// The checks DynamoDB makes on an expression before evaluating it, shared by parsed
/// expressions and the typed values built in Swift.
enum ExpressionChecks {
    /// Checks of literal operands that DynamoDB makes before evaluating anything.
    /// Conditions built in Swift are bounded here as parsed ones are by the parser, so that no
    /// walk over a condition can run out of stack.
    static let maxConditionDepth = ExpressionParser.maxNesting + ExpressionParser.maxOperators

    static func check(_ condition: Condition, kind: ExpressionKind, depth: Int = 0) throws(ShoalError) {
        func invalid(_ detail: String) -> ShoalError { .validation("Invalid \(kind.rawValue): \(detail)") }
        guard depth <= maxConditionDepth else { throw invalid("The expression has too many nested levels") }
        switch condition {
        case let .and(a, b), let .or(a, b):
            try check(a, kind: kind, depth: depth + 1)
            try check(b, kind: kind, depth: depth + 1)
        case .not(let a):
            try check(a, kind: kind, depth: depth + 1)
        case let .comparison(a, op, b):
            if op != .equal && op != .notEqual {
                for operand in [a, b] {
                    if case .value(let v) = operand, ![.n, .s, .b].contains(v.type) {
                        throw invalid("Incorrect operand type for operator or function; operator or function: \(op.rawValue), operand type: \(v.type.rawValue)")
                    }
                }
            }
        case let .between(_, low, high):
            for operand in [low, high] {
                if case .value(let v) = operand, ![.n, .s, .b].contains(v.type) {
                    throw invalid("Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: \(v.type.rawValue)")
                }
            }
            if case .value(let l) = low, case .value(let h) = high {
                guard l.type == h.type else {
                    throw invalid("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: \(l), upper bound operand: AttributeValue: \(h)")
                }
                if KeyEncoding.compare(l, h) > 0 {
                    throw invalid("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: \(l), upper bound operand: AttributeValue: \(h)")
                }
            }
        case let .beginsWith(_, prefix):
            if case .value(let v) = prefix, v.type != .s && v.type != .b {
                throw invalid("Incorrect operand type for operator or function; operator or function: begins_with, operand type: \(v.type.rawValue)")
            }
        case let .attributeType(_, type):
            if case .value(let v) = type {
                guard case .s(let name) = v else {
                    throw invalid("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: \(v.type.rawValue)")
                }
                guard AttributeType(rawValue: name) != nil else {
                    throw invalid("Invalid attribute type name found in type parameter: \(name)")
                }
            }
        case let .contains(a, b):
            if case .path(let first) = a, a == b {
                throw invalid("The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: \(first.bracketed)")
            }
        case .isIn, .attributeExists, .attributeNotExists:
            return
        }
    }

    /// Literal operand types of an update, key attributes aside (checked by UpdateItem).
    static func check(_ update: UpdateExpression) throws(ShoalError) {
        func invalid(_ detail: String) -> ShoalError { .validation("Invalid UpdateExpression: \(detail)") }
        func checkValue(_ operand: Operand, depth: Int = 0) throws(ShoalError) {
            guard depth <= maxConditionDepth else { throw invalid("The expression has too many nested levels") }
            switch operand {
            case .path:
                return
            case .value(let v):
                try ItemValidation.validate(v)
            case .size:
                throw invalid("The function is not allowed in an update expression; function: size")
            case let .ifNotExists(_, fallback):
                try checkValue(fallback, depth: depth + 1)
            case let .listAppend(a, b):
                for argument in [a, b] {
                    if case .value(let v) = argument, v.type != .l {
                        throw invalid("Incorrect operand type for operator or function; operator or function: list_append, operand type: \(v.type.rawValue)")
                    }
                    if case .listAppend = argument {
                        throw invalid("The function is not allowed to be used this way in an expression; function: list_append")
                    }
                    try checkValue(argument, depth: depth + 1)
                }
            case let .setAdd(a, b), let .setDelete(a, b):
                let name: String
                if case .setAdd = operand { name = "set_add" } else { name = "set_delete" }
                for argument in [a, b] {
                    if case .value(let v) = argument, ![.ss, .ns, .bs].contains(v.type) {
                        throw invalid("Incorrect operand type for operator or function; operator or function: \(name), operand type: \(v.type.rawValue)")
                    }
                    try checkValue(argument, depth: depth + 1)
                }
            case let .plus(a, b), let .minus(a, b):
                let op: String
                if case .plus = operand { op = "+" } else { op = "-" }
                for argument in [a, b] {
                    if case .value(let v) = argument, v.type != .n {
                        throw invalid("Incorrect operand type for operator or function; operator or function: \(op), operand type: \(v.type.rawValue)")
                    }
                    switch argument {
                    case .plus, .minus: throw invalid("Syntax error; token: \"\(op)\", near: \"\(op)\"")
                    default: try checkValue(argument, depth: depth + 1)
                    }
                }
            }
        }
        for action in update.set { try checkValue(action.value) }
        for action in update.add + update.delete { try checkValue(action.value) }
        for action in update.add {
            guard case .value(let v) = action.value else { throw invalid("Syntax error; token: \"\(action.path)\", near: \"ADD\"") }
            if ![.n, .ss, .ns, .bs].contains(v.type) {
                throw invalid("Incorrect operand type for operator or function; operator: ADD, operand type: \(v.type.rawValue)")
            }
        }
        for action in update.delete {
            guard case .value(let v) = action.value else { throw invalid("Syntax error; token: \"\(action.path)\", near: \"DELETE\"") }
            if ![.ss, .ns, .bs].contains(v.type) {
                throw invalid("Incorrect operand type for operator or function; operator: DELETE, operand type: \(v.type.rawValue)")
            }
        }
        try checkOverlaps(update.paths, kind: .update)
    }

    /// DynamoDB rejects two paths of one expression when one contains the other (overlap) or
    /// when they treat the same step as both a map key and a list index (conflict).
    /// Only paths under the same top-level attribute can overlap, so they are compared within
    /// those groups (legacy maps of thousands of distinct attributes stay linear).
    static func checkOverlaps(_ paths: [DocumentPath], kind: ExpressionKind) throws(ShoalError) {
        var groups: [PathElement: [Int]] = [:]
        for (i, path) in paths.enumerated() { groups[path.elements[0], default: []].append(i) }
        for group in groups.values.sorted(by: { $0[0] < $1[0] }) where group.count > 1 {
            try checkOverlaps(paths, among: group, kind: kind)
        }
    }

    private static func checkOverlaps(_ paths: [DocumentPath], among group: [Int], kind: ExpressionKind) throws(ShoalError) {
        for (position, i) in group.enumerated() {
            for j in group[(position + 1)...] {
                let a = paths[i].elements
                let b = paths[j].elements
                var diverged = false
                for k in 0..<min(a.count, b.count) where a[k] != b[k] {
                    switch (a[k], b[k]) {
                    case (.name, .index), (.index, .name):
                        throw .validation("Invalid \(kind.rawValue): Two document paths conflict with each other; must remove or rewrite one of these paths; path one: \(paths[i].bracketed), path two: \(paths[j].bracketed)")
                    default:
                        diverged = true
                    }
                    break
                }
                if !diverged {
                    throw .validation("Invalid \(kind.rawValue): Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(paths[i].bracketed), path two: \(paths[j].bracketed)")
                }
            }
        }
    }
}
