/// Parses DynamoDB's PartiQL dialect into a ``PartiQLStatement``: `SELECT`, `INSERT`, `UPDATE`,
/// `DELETE` and (for transactions) `EXISTS(SELECT …)`. Recursive descent over the tokens, with
/// the statement's length, its nesting and its operator count bounded, so no statement can run
/// the parser or a later walk over its tree out of stack.
struct PartiQLParser {
    /// DynamoDB's limit on `Statement` (characters).
    static let maxStatementLength = 8192
    /// Parentheses, function calls and nested literals, together.
    static let maxNesting = 64
    /// Logical, comparison and arithmetic operators.
    static let maxOperators = 300

    private let source: [UInt8]
    private let tokens: [PartiQLToken]
    private var position = 0
    private var nesting = 0
    private var operators = 0
    private var parameters = 0

    /// - Throws: `ValidationException` "Statement wasn't well formed, can't be processed: …" with
    ///   the line and column, or a message naming the limit the statement exceeds.
    static func parse(_ statement: String) throws(ShoalError) -> PartiQLStatement {
        try checkLength(statement)
        var parser = try PartiQLParser(source: Array(statement.utf8))
        return try parser.statement()
    }

    static func checkLength(_ statement: String) throws(ShoalError) {
        let bytes = statement.utf8.count
        if bytes == 0 || (bytes > maxStatementLength && statement.unicodeScalars.count > maxStatementLength) {
            let constraint = bytes == 0 ? "greater than or equal to 1" : "less than or equal to \(maxStatementLength)"
            throw .validation("1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length \(constraint)")
        }
    }

    private init(source: [UInt8]) throws(ShoalError) {
        self.source = source
        tokens = try PartiQLLexer.tokenize(source)
    }

    // MARK: Tokens

    private var current: PartiQLToken { tokens[position] }

    private mutating func advance() -> PartiQLToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func error(_ detail: String? = nil, at token: PartiQLToken? = nil) -> ShoalError {
        let token = token ?? current
        let shown = token.kind == .end ? "unexpected end of statement"
            : "unexpected \(token.kind == .string ? "'\(token.text)'" : token.kind == .quoted ? "\"\(token.text)\"" : token.text)"
        return PartiQLError.malformed(detail.map { "\(shown), expected \($0)" } ?? shown, source, at: token.offset)
    }

    private mutating func expectKeyword(_ keyword: String) throws(ShoalError) {
        guard current.isKeyword(keyword) else { throw error(keyword) }
        _ = advance()
    }

    private mutating func expectSymbol(_ symbol: String) throws(ShoalError) {
        guard current.isSymbol(symbol) else { throw error("'\(symbol)'") }
        _ = advance()
    }

    private mutating func acceptKeyword(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        _ = advance()
        return true
    }

    private mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func enter() throws(ShoalError) {
        nesting += 1
        if nesting > PartiQLParser.maxNesting {
            throw PartiQLError.malformed("the statement nests more than \(PartiQLParser.maxNesting) levels", source, at: current.offset)
        }
    }

    private mutating func countOperator() throws(ShoalError) {
        operators += 1
        if operators > PartiQLParser.maxOperators {
            throw PartiQLError.malformed("the statement has more than \(PartiQLParser.maxOperators) operators", source, at: current.offset)
        }
    }

    /// Words that cannot name an attribute or table without double quotes.
    private static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "BETWEEN", "ORDER", "BY", "INSERT", "INTO", "VALUE",
        "UPDATE", "SET", "REMOVE", "DELETE", "RETURNING", "TRUE", "FALSE", "NULL", "MISSING", "EXISTS", "ASC", "DESC",
    ]

    private static func isReserved(_ token: PartiQLToken) -> Bool {
        token.kind == .word && reserved.contains(token.text.uppercased())
    }

    // MARK: Statements

    private mutating func statement() throws(ShoalError) -> PartiQLStatement {
        let result: PartiQLStatement
        if current.isKeyword("SELECT") {
            result = .select(try select())
        } else if acceptKeyword("INSERT") {
            try expectKeyword("INTO")
            let (table, index) = try tableSource()
            if index != nil { throw .validation("FROM clause may only contain a single table name") }
            try expectKeyword("VALUE")
            result = .insert(table: table, value: try additive())
        } else if acceptKeyword("UPDATE") {
            result = .update(try update())
        } else if acceptKeyword("DELETE") {
            try expectKeyword("FROM")
            let (table, index) = try tableSource()
            if index != nil { throw PartiQLError.onIndex }
            try expectKeyword("WHERE")
            let condition = try expression()
            var returning: PartiQLReturning?
            if acceptKeyword("RETURNING") {
                returning = try self.returning()
                guard returning == .allOld else {
                    let words = returning == .modifiedOld ? "MODIFIED OLD" : returning == .allNew ? "ALL NEW" : "MODIFIED NEW"
                    throw .validation("Invalid returning clause: RETURNING \(words) *. Only RETURNING ALL OLD * is allowed in DELETE statements.")
                }
            }
            result = .delete(table: table, where: condition, returning: returning)
        } else if acceptKeyword("EXISTS") {
            try expectSymbol("(")
            let select = try self.select()
            try expectSymbol(")")
            result = .exists(select)
        } else {
            // DynamoDB's words for a statement that is not one of its statements.
            throw .validation(PartiQLError.malformedPrefix + "Expected data manipulation")
        }
        _ = acceptSymbol(";")
        guard current.kind == .end else { throw error("the end of the statement") }
        return result
    }

    private mutating func select() throws(ShoalError) -> PartiQLSelect {
        try expectKeyword("SELECT")
        var projection: [[PathElement]]?
        if !acceptSymbol("*") {
            var paths: [[PathElement]] = [try path()]
            while acceptSymbol(",") { paths.append(try path()) }
            projection = paths
        }
        try expectKeyword("FROM")
        let (table, index) = try tableSource()
        var condition: PartiQLExpression?
        if acceptKeyword("WHERE") { condition = try expression() }
        var orderBy: [(path: [PathElement], descending: Bool)] = []
        if acceptKeyword("ORDER") {
            try expectKeyword("BY")
            repeat {
                let key = try path()
                var descending = false
                if acceptKeyword("DESC") { descending = true } else { _ = acceptKeyword("ASC") }
                orderBy.append((key, descending))
            } while acceptSymbol(",")
        }
        return PartiQLSelect(projection: projection, table: table, index: index, condition: condition, orderBy: orderBy)
    }

    private mutating func update() throws(ShoalError) -> PartiQLUpdate {
        let (table, index) = try tableSource()
        if index != nil { throw PartiQLError.onIndex }
        var actions: [PartiQLUpdate.Action] = []
        while true {
            if acceptKeyword("SET") {
                repeat {
                    let target = try path()
                    try expectSymbol("=")
                    actions.append(.set(target, try additive()))
                } while acceptSymbol(",")
            } else if acceptKeyword("REMOVE") {
                repeat { actions.append(.remove(try path())) } while acceptSymbol(",")
            } else {
                break
            }
        }
        guard !actions.isEmpty else { throw error("SET or REMOVE") }
        try expectKeyword("WHERE")
        let condition = try expression()
        var returning: PartiQLReturning?
        if acceptKeyword("RETURNING") { returning = try self.returning() }
        return PartiQLUpdate(table: table, actions: actions, condition: condition, returning: returning)
    }

    private mutating func returning() throws(ShoalError) -> PartiQLReturning {
        let all: Bool
        if acceptKeyword("ALL") { all = true } else if acceptKeyword("MODIFIED") { all = false } else { throw error("ALL or MODIFIED") }
        let returning: PartiQLReturning
        if acceptKeyword("OLD") {
            returning = all ? .allOld : .modifiedOld
        } else if acceptKeyword("NEW") {
            returning = all ? .allNew : .modifiedNew
        } else {
            throw error("OLD or NEW")
        }
        try expectSymbol("*")
        return returning
    }

    /// `table` or `table.index`, as DynamoDB checks a FROM clause.
    private mutating func tableSource() throws(ShoalError) -> (table: String, index: String?) {
        let table = try identifier("a table name")
        guard acceptSymbol(".") else { return (table, nil) }
        let index = try identifier("an index name")
        if current.isSymbol(".") { throw .validation("A path may contain at most 2 components in the FROM clause") }
        return (table, index)
    }

    /// A table, index or attribute name: a double-quoted identifier, or a word that is not reserved.
    private mutating func identifier(_ what: String) throws(ShoalError) -> String {
        let token = current
        switch token.kind {
        case .quoted:
            guard !token.text.isEmpty else { throw .validation("Path component cannot be an empty string") }
            _ = advance()
            return token.text
        case .word where !PartiQLParser.isReserved(token):
            _ = advance()
            return token.text
        default:
            throw error(what)
        }
    }

    /// A document path: a name, then `.name`, `[n]` or `['name']` steps.
    private mutating func path() throws(ShoalError) -> [PathElement] {
        var elements: [PathElement] = [.name(try identifier("an attribute name"))]
        while true {
            if current.isSymbol("."), tokens[position + 1].kind == .word || tokens[position + 1].kind == .quoted {
                _ = advance()
                elements.append(.name(try identifier("an attribute name")))
            } else if acceptSymbol("[") {
                let token = current
                if token.kind == .number, let index = Int(token.text), index >= 0 {
                    _ = advance()
                    elements.append(.index(index))
                } else if token.kind == .string {
                    _ = advance()
                    elements.append(.name(token.text))
                } else {
                    throw error("a list index or a quoted map key")
                }
                try expectSymbol("]")
            } else {
                return elements
            }
            if elements.count > PartiQLParser.maxNesting {
                throw PartiQLError.malformed("the path has more than \(PartiQLParser.maxNesting) elements", source, at: current.offset)
            }
        }
    }

    // MARK: Expressions

    mutating func expression() throws(ShoalError) -> PartiQLExpression {
        var left = try conjunction()
        while acceptKeyword("OR") {
            try countOperator()
            left = .or(left, try conjunction())
        }
        return left
    }

    private mutating func conjunction() throws(ShoalError) -> PartiQLExpression {
        var left = try negation()
        while acceptKeyword("AND") {
            try countOperator()
            left = .and(left, try negation())
        }
        return left
    }

    private mutating func negation() throws(ShoalError) -> PartiQLExpression {
        if acceptKeyword("NOT") {
            try countOperator()
            try enter()
            defer { nesting -= 1 }
            return .not(try negation())
        }
        return try predicate()
    }

    private static let comparisons: [String: ComparisonOperator] = [
        "=": .equal, "<>": .notEqual, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func predicate() throws(ShoalError) -> PartiQLExpression {
        let left = try additive()
        if current.kind == .symbol, let op = PartiQLParser.comparisons[current.text] {
            _ = advance()
            try countOperator()
            return .comparison(left, op, try additive())
        }
        let negated = acceptKeyword("NOT")
        if acceptKeyword("BETWEEN") {
            try countOperator()
            let low = try additive()
            try expectKeyword("AND")
            let result = PartiQLExpression.between(left, low, try additive())
            return negated ? .not(result) : result
        }
        if acceptKeyword("IN") {
            try countOperator()
            let close: String
            if acceptSymbol("[") { close = "]" } else if acceptSymbol("(") { close = ")" } else { throw error("'[' or '('") }
            let result = PartiQLExpression.isIn(left, try values(closedBy: close))
            return negated ? .not(result) : result
        }
        if negated { throw error("BETWEEN or IN") }
        if acceptKeyword("IS") {
            try countOperator()
            let not = acceptKeyword("NOT")
            if acceptKeyword("MISSING") { return .isMissing(left, negated: not) }
            if acceptKeyword("NULL") { return .isNull(left, negated: not) }
            throw error("MISSING or NULL")
        }
        return left
    }

    /// A value: a primary, or primaries joined by `+` and `-`.
    mutating func additive() throws(ShoalError) -> PartiQLExpression {
        var left = try primary()
        while true {
            if acceptSymbol("+") {
                try countOperator()
                left = .plus(left, try primary())
            } else if acceptSymbol("-") {
                try countOperator()
                left = .minus(left, try primary())
            } else {
                return left
            }
        }
    }

    private mutating func primary() throws(ShoalError) -> PartiQLExpression {
        let token = current
        switch token.kind {
        case .string:
            _ = advance()
            return .literal(.s(token.text))
        case .number:
            _ = advance()
            return .literal(.n(try number(token.text, at: token)))
        case .symbol:
            switch token.text {
            case "?":
                _ = advance()
                parameters += 1
                return .parameter(parameters - 1)
            case "-":
                _ = advance()
                let digits = current
                guard digits.kind == .number else { throw error("a number") }
                _ = advance()
                return .literal(.n(try number("-" + digits.text, at: digits)))
            case "(":
                _ = advance()
                try enter()
                defer { nesting -= 1 }
                let inner = try expression()
                try expectSymbol(")")
                return inner
            case "[":
                _ = advance()
                try enter()
                defer { nesting -= 1 }
                return .list(try values(closedBy: "]"))
            case "<<":
                _ = advance()
                try enter()
                defer { nesting -= 1 }
                return .set(try values(closedBy: ">>"))
            case "{":
                _ = advance()
                try enter()
                defer { nesting -= 1 }
                var keys: [String] = []
                var values: [PartiQLExpression] = []
                if !current.isSymbol("}") {
                    repeat {
                        let key = current
                        guard key.kind == .string else { throw error("a map key in single quotes") }
                        _ = advance()
                        try expectSymbol(":")
                        keys.append(key.text)
                        values.append(try additive())
                    } while acceptSymbol(",")
                }
                try expectSymbol("}")
                return .map(keys, values)
            default:
                throw error("a value or an attribute name")
            }
        case .word:
            if acceptKeyword("TRUE") { return .literal(.bool(true)) }
            if acceptKeyword("FALSE") { return .literal(.bool(false)) }
            if acceptKeyword("NULL") { return .literal(.null) }
            if tokens[position + 1].isSymbol("("), !PartiQLParser.isReserved(token) {
                _ = advance()
                _ = advance()
                try enter()
                defer { nesting -= 1 }
                return .call(token.text.lowercased(), try values(closedBy: ")"))
            }
            return .path(try path())
        case .quoted:
            return .path(try path())
        case .end:
            throw error("a value or an attribute name")
        }
    }

    /// Values separated by commas up to `close` (none when `close` comes at once), which is consumed.
    private mutating func values(closedBy close: String) throws(ShoalError) -> [PartiQLExpression] {
        var items: [PartiQLExpression] = []
        if !current.isSymbol(close) {
            repeat { items.append(try additive()) } while acceptSymbol(",")
        }
        try expectSymbol(close)
        return items
    }

    private func number(_ text: String, at token: PartiQLToken) throws(ShoalError) -> Number {
        do {
            return try Number(text)
        } catch {
            throw PartiQLError.malformed("invalid number \(text): \(error.description)", source, at: token.offset)
        }
    }
}
