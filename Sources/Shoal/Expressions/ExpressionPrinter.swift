/// An expression as text with its placeholders, ready to send to DynamoDB (or to parse back).
public struct PrintedExpression: Sendable, Equatable {
    public var expression: String
    public var expressionAttributeNames: [String: String]
    public var expressionAttributeValues: [String: AttributeValue]
}

/// Prints ASTs back to DynamoDB's syntax. Every name becomes a `#nK` placeholder and every
/// value a `:vK` placeholder, and every binary condition is parenthesised, so parsing the text
/// gives back the same AST.
public struct ExpressionPrinter {
    private var names: [String: String] = [:]
    private var placeholderForName: [String: String] = [:]
    private var values: [String: AttributeValue] = [:]

    public init() {}

    public static func print(_ condition: Condition) -> PrintedExpression {
        var printer = ExpressionPrinter()
        let text = printer.condition(condition)
        return printer.result(text)
    }

    public static func print(_ update: UpdateExpression) -> PrintedExpression {
        var printer = ExpressionPrinter()
        var clauses: [String] = []
        if !update.set.isEmpty {
            clauses.append("SET " + update.set.map { "\(printer.path($0.path)) = \(printer.operand($0.value))" }.joined(separator: ", "))
        }
        if !update.remove.isEmpty {
            clauses.append("REMOVE " + update.remove.map { printer.path($0) }.joined(separator: ", "))
        }
        if !update.add.isEmpty {
            clauses.append("ADD " + update.add.map { "\(printer.path($0.path)) \(printer.operand($0.value))" }.joined(separator: ", "))
        }
        if !update.delete.isEmpty {
            clauses.append("DELETE " + update.delete.map { "\(printer.path($0.path)) \(printer.operand($0.value))" }.joined(separator: ", "))
        }
        return printer.result(clauses.joined(separator: " "))
    }

    public static func print(projection: [DocumentPath]) -> PrintedExpression {
        var printer = ExpressionPrinter()
        let text = projection.map { printer.path($0) }.joined(separator: ", ")
        return printer.result(text)
    }

    private func result(_ text: String) -> PrintedExpression {
        PrintedExpression(expression: text, expressionAttributeNames: names, expressionAttributeValues: values)
    }

    private mutating func name(_ n: String) -> String {
        if let existing = placeholderForName[n] { return existing }
        let placeholder = "#n\(names.count)"
        names[placeholder] = n
        placeholderForName[n] = placeholder
        return placeholder
    }

    private mutating func value(_ v: AttributeValue) -> String {
        let placeholder = ":v\(values.count)"
        values[placeholder] = v
        return placeholder
    }

    mutating func path(_ p: DocumentPath) -> String {
        var text = ""
        for element in p.elements {
            switch element {
            case .name(let n): text += (text.isEmpty ? "" : ".") + name(n)
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    mutating func operand(_ o: Operand) -> String {
        switch o {
        case .path(let p): return path(p)
        case .value(let v): return value(v)
        case .size(let o): return "size(\(operand(o)))"
        case let .ifNotExists(p, fallback): return "if_not_exists(\(path(p)), \(operand(fallback)))"
        case let .listAppend(a, b): return "list_append(\(operand(a)), \(operand(b)))"
        case let .plus(a, b): return "\(operand(a)) + \(operand(b))"
        case let .minus(a, b): return "\(operand(a)) - \(operand(b))"
        case let .setAdd(a, b): return "set_add(\(operand(a)), \(operand(b)))"
        case let .setDelete(a, b): return "set_delete(\(operand(a)), \(operand(b)))"
        }
    }

    mutating func condition(_ c: Condition) -> String {
        switch c {
        case let .comparison(a, op, b): return "\(operand(a)) \(op.rawValue) \(operand(b))"
        case let .between(a, low, high): return "\(operand(a)) BETWEEN \(operand(low)) AND \(operand(high))"
        case let .isIn(a, list): return "\(operand(a)) IN (\(list.map { operand($0) }.joined(separator: ", ")))"
        case let .and(a, b): return "(\(condition(a))) AND (\(condition(b)))"
        case let .or(a, b): return "(\(condition(a))) OR (\(condition(b)))"
        case .not(let a): return "NOT (\(condition(a)))"
        case .attributeExists(let p): return "attribute_exists(\(path(p)))"
        case .attributeNotExists(let p): return "attribute_not_exists(\(path(p)))"
        case let .attributeType(a, t): return "attribute_type(\(operand(a)), \(operand(t)))"
        case let .beginsWith(a, b): return "begins_with(\(operand(a)), \(operand(b)))"
        case let .contains(a, b): return "contains(\(operand(a)), \(operand(b)))"
        }
    }
}
