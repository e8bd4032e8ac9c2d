/// A token of DynamoDB's expression language.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        /// An unquoted word: attribute name, keyword or function name.
        case word
        /// `#name` placeholder.
        case name
        /// `:value` placeholder.
        case value
        /// Digits (list indexes).
        case number
        /// `( ) [ ] , . = <> < <= > >= + -`
        case symbol
        case end
    }

    var kind: Kind
    var text: String
    /// Character offsets in the expression, for error context.
    var start: Int
    var end: Int

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }

    /// Case-insensitive keyword match (`AND`, `set`, …).
    func isKeyword(_ k: String) -> Bool { kind == .word && text.uppercased() == k }
}

/// Splits an expression into tokens.
enum ExpressionLexer {
    static func tokenize(_ source: [Character], kind: ExpressionKind) throws(ShoalError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        var i = 0
        func isWordCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        while i < source.count {
            let c = source[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            let start = i
            if c == "#" || c == ":" {
                i += 1
                while i < source.count && isWordCharacter(source[i]) { i += 1 }
                if i == start + 1 {
                    throw syntaxError(kind, source, tokens + [ExpressionToken(kind: .symbol, text: String(c), start: start, end: i)], at: tokens.count)
                }
                tokens.append(ExpressionToken(kind: c == "#" ? .name : .value, text: String(source[start..<i]), start: start, end: i))
            } else if c.isASCII && c.isNumber {
                while i < source.count && source[i].isASCII && source[i].isNumber { i += 1 }
                // Digits followed by letters form one (invalid) word token, as in `1a`.
                if i < source.count && isWordCharacter(source[i]) {
                    while i < source.count && isWordCharacter(source[i]) { i += 1 }
                    tokens.append(ExpressionToken(kind: .word, text: String(source[start..<i]), start: start, end: i))
                } else {
                    tokens.append(ExpressionToken(kind: .number, text: String(source[start..<i]), start: start, end: i))
                }
            } else if isWordCharacter(c) {
                while i < source.count && isWordCharacter(source[i]) { i += 1 }
                tokens.append(ExpressionToken(kind: .word, text: String(source[start..<i]), start: start, end: i))
            } else {
                let two = i + 1 < source.count ? String(source[i...i + 1]) : ""
                if two == "<>" || two == "<=" || two == ">=" {
                    i += 2
                    tokens.append(ExpressionToken(kind: .symbol, text: two, start: start, end: i))
                } else if "()[],.=<>+-".contains(c) {
                    i += 1
                    tokens.append(ExpressionToken(kind: .symbol, text: String(c), start: start, end: i))
                } else {
                    let bad = ExpressionToken(kind: .symbol, text: String(c), start: start, end: i + 1)
                    throw syntaxError(kind, source, tokens + [bad], at: tokens.count)
                }
            }
        }
        tokens.append(ExpressionToken(kind: .end, text: "<EOF>", start: source.count, end: source.count))
        return tokens
    }

    /// DynamoDB's syntax error: the offending token and the text around it.
    static func syntaxError(_ kind: ExpressionKind, _ source: [Character], _ tokens: [ExpressionToken], at index: Int) -> ShoalError {
        let token = tokens[index]
        let from = index > 0 ? tokens[index - 1].start : token.start
        let to = index + 1 < tokens.count && tokens[index + 1].kind != .end ? tokens[index + 1].end : token.end
        let near = String(source[max(0, from)..<min(source.count, max(from, to))])
        return .validation("Invalid \(kind.rawValue): Syntax error; token: \"\(token.text)\", near: \"\(near)\"")
    }
}
