/// Recursive-descent parser for DynamoDB's five expression kinds. Placeholders are resolved
/// while parsing (through ``ExpressionAttributes``, which records their use); the result is the
/// typed AST of `ExpressionAST.swift`, already checked for what DynamoDB rejects before evaluation.
struct ExpressionParser {
    static let maxExpressionBytes = 4096
    static let maxInOperands = 100
    static let maxPathDepth = 32
    /// Cap on nested parentheses and NOTs, so a hostile expression cannot exhaust the stack (the
    /// 300-operator limit is normally reached first).
    static let maxNesting = 400
    /// DynamoDB's limit on operators and functions in one expression.
    static let maxOperators = 300

    let kind: ExpressionKind
    private let source: [UInt8]
    private let tokens: [ExpressionToken]
    private var position = 0
    private var nesting = 0
    private var operators = 0
    /// Token positions of the `(` and `)` of the group parsed last, to spot `((x))` in O(1).
    private var lastGroup: (open: Int, close: Int)?
    private var attributes: ExpressionAttributes

    private init(_ text: String, kind: ExpressionKind, attributes: ExpressionAttributes) throws(ShoalError) {
        if text.utf8.count > ExpressionParser.maxExpressionBytes {
            throw .validation("Invalid \(kind.rawValue): Expression size has exceeded the maximum allowed size; expression size: \(text.utf8.count)")
        }
        if text.allSatisfy(\.isWhitespace) {
            throw .validation("Invalid \(kind.rawValue): The expression can not be empty;")
        }
        self.kind = kind
        source = Array(text.utf8)
        tokens = try ExpressionLexer.tokenize(source, kind: kind)
        self.attributes = attributes
    }

    // MARK: Entry points

    /// Parses a ConditionExpression, FilterExpression or KeyConditionExpression.
    static func condition(_ text: String, kind: ExpressionKind, attributes: inout ExpressionAttributes) throws(ShoalError) -> Condition {
        var parser = try ExpressionParser(text, kind: kind, attributes: attributes)
        let condition = try parser.parseOr()
        try parser.expectEnd()
        try ExpressionChecks.check(condition, kind: kind)
        attributes = parser.attributes
        return condition
    }

    static func update(_ text: String, attributes: inout ExpressionAttributes) throws(ShoalError) -> UpdateExpression {
        var parser = try ExpressionParser(text, kind: .update, attributes: attributes)
        let update = try parser.parseUpdate()
        try ExpressionChecks.check(update)
        attributes = parser.attributes
        return update
    }

    static func projection(_ text: String, attributes: inout ExpressionAttributes) throws(ShoalError) -> [DocumentPath] {
        var parser = try ExpressionParser(text, kind: .projection, attributes: attributes)
        var paths = [try parser.parsePath()]
        while parser.peek.isSymbol(",") {
            parser.advance()
            paths.append(try parser.parsePath())
        }
        try parser.expectEnd()
        try ExpressionChecks.checkOverlaps(paths, kind: .projection)
        attributes = parser.attributes
        return paths
    }

    // MARK: Tokens

    private var peek: ExpressionToken { tokens[position] }
    private func peek(_ offset: Int) -> ExpressionToken { tokens[min(position + offset, tokens.count - 1)] }
    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private func syntaxError() -> ShoalError {
        ExpressionLexer.syntaxError(kind, source, tokens, at: position)
    }

    private func invalid(_ detail: String) -> ShoalError {
        .validation("Invalid \(kind.rawValue): \(detail)")
    }

    private mutating func expect(_ symbol: String) throws(ShoalError) {
        guard peek.isSymbol(symbol) else { throw syntaxError() }
        advance()
    }

    private func expectEnd() throws(ShoalError) {
        guard peek.kind == .end else { throw syntaxError() }
    }

    // MARK: Conditions

    private mutating func parseOr() throws(ShoalError) -> Condition {
        var left = try parseAnd()
        while peek.isKeyword("OR") {
            advance()
            try countOperator()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ShoalError) -> Condition {
        var left = try parseNot()
        while peek.isKeyword("AND") {
            advance()
            try countOperator()
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(ShoalError) -> Condition {
        guard peek.isKeyword("NOT") else { return try parsePrimary() }
        advance()
        try countOperator()
        try enter()
        defer { nesting -= 1 }
        return .not(try parseNot())
    }

    /// Counts one operator or function; an expression may have at most 300.
    private mutating func countOperator() throws(ShoalError) {
        operators += 1
        if operators > ExpressionParser.maxOperators {
            throw invalid("The expression contains too many operators; operator count: \(operators)")
        }
    }

    private mutating func enter() throws(ShoalError) {
        nesting += 1
        if nesting > ExpressionParser.maxNesting { throw invalid("The expression has too many nested levels") }
    }

    private static let conditionFunctions: Set<String> = ["attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"]
    private static let updateFunctions: Set<String> = ["if_not_exists", "list_append"]

    private mutating func parsePrimary() throws(ShoalError) -> Condition {
        if peek.isSymbol("(") {
            let open = position
            advance()
            try enter()
            defer { nesting -= 1 }
            let inner = try parseOr()
            // `((x))`: the group holds nothing but another group.
            if let last = lastGroup, last.open == open + 1, last.close == position - 1 {
                throw invalid("The expression has redundant parentheses")
            }
            try expect(")")
            lastGroup = (open, position - 1)
            return inner
        }
        if peek.kind == .word && peek(1).isSymbol("("), ExpressionParser.conditionFunctions.contains(peek.text) {
            return try parseConditionFunction()
        }
        let left = try parseOperand()
        let token = peek
        if token.kind == .symbol, let op = ComparisonOperator(rawValue: token.text) {
            advance()
            try countOperator()
            return .comparison(left, op, try parseOperand())
        }
        if token.isKeyword("BETWEEN") {
            advance()
            try countOperator()
            let low = try parseOperand()
            guard peek.isKeyword("AND") else { throw syntaxError() }
            advance()
            return .between(left, low, try parseOperand())
        }
        if token.isKeyword("IN") {
            advance()
            try countOperator()
            try expect("(")
            var list = [try parseOperand()]
            while peek.isSymbol(",") {
                advance()
                list.append(try parseOperand())
            }
            try expect(")")
            if list.count > ExpressionParser.maxInOperands {
                throw invalid("The IN operator is provided with too many operands; number of operands: \(list.count)")
            }
            return .isIn(left, list)
        }
        if case .size = left {
            throw invalid("The function is not allowed to be used this way in an expression; function: size")
        }
        throw syntaxError()
    }

    private mutating func functionArguments() throws(ShoalError) -> [Operand] {
        try countOperator()
        try expect("(")
        var arguments = [try parseOperand()]
        while peek.isSymbol(",") {
            advance()
            arguments.append(try parseOperand())
        }
        try expect(")")
        return arguments
    }

    private mutating func parseConditionFunction() throws(ShoalError) -> Condition {
        let name = peek.text
        advance()
        let arguments = try functionArguments()
        let expected = ["attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2][name]!
        guard arguments.count == expected else {
            throw invalid("Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(arguments.count)")
        }
        func path(_ operand: Operand) throws(ShoalError) -> DocumentPath {
            guard case .path(let p) = operand else {
                throw invalid("Operator or function requires a document path; operator or function: \(name)")
            }
            return p
        }
        switch name {
        case "attribute_exists": return .attributeExists(try path(arguments[0]))
        case "attribute_not_exists": return .attributeNotExists(try path(arguments[0]))
        case "attribute_type":
            switch arguments[0] {
            case .path, .value: break
            default: throw invalid("Operator or function requires a document path; operator or function: attribute_type")
            }
            guard case .value = arguments[1] else {
                throw invalid("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: a document path; the type operand must be a value")
            }
            return .attributeType(arguments[0], arguments[1])
        case "begins_with": return .beginsWith(arguments[0], arguments[1])
        default: return .contains(arguments[0], arguments[1])
        }
    }

    /// An operand of a condition: a path, a `:value`, or `size(path)`.
    private mutating func parseOperand() throws(ShoalError) -> Operand {
        let token = peek
        switch token.kind {
        case .value:
            advance()
            return .value(try attributes.value(token.text, kind: kind))
        case .word where peek(1).isSymbol("("):
            let name = token.text
            if name == "size" {
                advance()
                let arguments = try functionArguments()
                guard arguments.count == 1 else {
                    throw invalid("Incorrect number of operands for operator or function; operator or function: size, number of operands: \(arguments.count)")
                }
                switch arguments[0] {
                case .path:
                    return .size(arguments[0])
                case .value(let v):
                    // A literal's size is known now.
                    guard let n = ConditionEvaluator.size(of: v) else {
                        throw invalid("Incorrect operand type for operator or function; operator or function: size, operand type: \(v.type.rawValue)")
                    }
                    return .value(.n(Number(n)))
                default:
                    throw invalid("The function is not allowed to be used this way in an expression; function: size")
                }
            }
            if ExpressionParser.conditionFunctions.contains(name) {
                throw invalid("The function is not allowed to be used this way in an expression; function: \(name)")
            }
            if ExpressionParser.updateFunctions.contains(name) {
                throw invalid("The function is not allowed in a \(kind == .filter ? "filter" : "condition") expression; function: \(name)")
            }
            throw invalid("Invalid function name; function: \(name)")
        case .word, .name:
            return .path(try parsePath())
        default:
            throw syntaxError()
        }
    }

    // MARK: Paths

    private mutating func pathName() throws(ShoalError) -> String {
        let token = peek
        switch token.kind {
        case .name:
            advance()
            return try attributes.name(token.text, kind: kind)
        case .word:
            // A word starting with a digit (`1a`) is not a name.
            guard let first = token.text.utf8.first, !(first >= 0x30 && first <= 0x39) else { throw syntaxError() }
            if ReservedWords.contains(token.text) {
                throw invalid("Attribute name is a reserved keyword; reserved keyword: \(token.text)")
            }
            advance()
            return token.text
        default:
            throw syntaxError()
        }
    }

    mutating func parsePath() throws(ShoalError) -> DocumentPath {
        var elements: [PathElement] = [.name(try pathName())]
        while true {
            if peek.isSymbol(".") {
                advance()
                elements.append(.name(try pathName()))
            } else if peek.isSymbol("[") {
                advance()
                guard peek.kind == .number else { throw syntaxError() }
                // DynamoDB's list indexes are 32-bit.
                guard let index = Int32(peek.text).map(Int.init) else {
                    throw invalid("List index is not within the allowable range; index: [\(peek.text)]")
                }
                advance()
                try expect("]")
                elements.append(.index(index))
            } else {
                break
            }
            if elements.count > ExpressionParser.maxPathDepth {
                throw invalid("The document path has too many nesting levels; nesting levels: \(elements.count)")
            }
        }
        return DocumentPath(elements)
    }

    // MARK: Updates

    private mutating func parseUpdate() throws(ShoalError) -> UpdateExpression {
        var update = UpdateExpression()
        var seen: Set<String> = []
        repeat {
            let clause = peek.text.uppercased()
            guard peek.kind == .word, ["SET", "REMOVE", "ADD", "DELETE"].contains(clause) else { throw syntaxError() }
            guard seen.insert(clause).inserted else {
                throw invalid("The \"\(clause)\" section can only be used once in an update expression;")
            }
            advance()
            while true {
                let path = try parsePath()
                switch clause {
                case "SET":
                    try expect("=")
                    update.set.append(.init(path: path, value: try parseSetValue()))
                case "REMOVE":
                    update.remove.append(path)
                case "ADD":
                    update.add.append(.init(path: path, value: try parseActionValue()))
                default:
                    update.delete.append(.init(path: path, value: try parseActionValue()))
                }
                guard peek.isSymbol(",") else { break }
                advance()
            }
        } while peek.kind != .end
        return update
    }

    /// ADD and DELETE take a `:value`.
    private mutating func parseActionValue() throws(ShoalError) -> Operand {
        guard peek.kind == .value else { throw syntaxError() }
        let token = peek
        advance()
        return .value(try attributes.value(token.text, kind: kind))
    }

    private mutating func parseSetValue() throws(ShoalError) -> Operand {
        let left = try parseUpdateOperand()
        if peek.isSymbol("+") || peek.isSymbol("-") {
            let op = peek.text
            advance()
            try countOperator()
            let right = try parseUpdateOperand()
            return op == "+" ? .plus(left, right) : .minus(left, right)
        }
        return left
    }

    private mutating func parseUpdateOperand() throws(ShoalError) -> Operand {
        let token = peek
        switch token.kind {
        case .value:
            advance()
            return .value(try attributes.value(token.text, kind: kind))
        case .word where peek(1).isSymbol("("):
            let name = token.text
            guard ExpressionParser.updateFunctions.contains(name) else {
                if ExpressionParser.conditionFunctions.contains(name) || name == "size" {
                    throw invalid("The function is not allowed in an update expression; function: \(name)")
                }
                throw invalid("Invalid function name; function: \(name)")
            }
            advance()
            try countOperator()
            try enter()
            defer { nesting -= 1 }
            try expect("(")
            var arguments = [try parseUpdateOperand()]
            while peek.isSymbol(",") {
                advance()
                arguments.append(try parseUpdateOperand())
            }
            try expect(")")
            guard arguments.count == 2 else {
                throw invalid("Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(arguments.count)")
            }
            if name == "if_not_exists" {
                guard case .path(let path) = arguments[0] else {
                    throw invalid("Operator or function requires a document path; operator or function: if_not_exists")
                }
                return .ifNotExists(path, arguments[1])
            }
            return .listAppend(arguments[0], arguments[1])
        case .word, .name:
            return .path(try parsePath())
        default:
            throw syntaxError()
        }
    }
}
