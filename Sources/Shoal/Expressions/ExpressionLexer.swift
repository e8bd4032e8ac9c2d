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
    /// Byte offsets in the expression, for error context.
    var start: Int
    var end: Int

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }

    /// Case-insensitive keyword match (`AND`, `set`, …).
    /// `k` is upper-case ASCII letters; `& 0xDF` upper-cases an ASCII letter without allocating.
    func isKeyword(_ k: String) -> Bool {
        kind == .word && text.utf8.count == k.utf8.count && zip(text.utf8, k.utf8).allSatisfy { $0 & 0xDF == $1 }
    }
}

/// Splits an expression into tokens, working on its UTF-8 bytes (the grammar is ASCII; any
/// other character is a syntax error).
enum ExpressionLexer {
    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    static func tokenize(_ source: [UInt8], kind: ExpressionKind) throws(ShoalError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        tokens.reserveCapacity(source.count / 2 + 1)
        var i = 0
        func text(_ from: Int, _ to: Int) -> String { String(decoding: source[from..<to], as: UTF8.self) }
        while i < source.count {
            let c = source[i]
            if isSpace(c) {
                i += 1
                continue
            }
            let start = i
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ":") {
                i += 1
                while i < source.count && isWordByte(source[i]) { i += 1 }
                if i == start + 1 {
                    throw syntaxError(kind, source, tokens + [ExpressionToken(kind: .symbol, text: text(start, i), start: start, end: i)], at: tokens.count)
                }
                tokens.append(ExpressionToken(kind: c == UInt8(ascii: "#") ? .name : .value, text: text(start, i), start: start, end: i))
            } else if isDigit(c) {
                while i < source.count && isDigit(source[i]) { i += 1 }
                // Digits followed by letters form one (invalid) word token, as in `1a`.
                if i < source.count && isWordByte(source[i]) {
                    while i < source.count && isWordByte(source[i]) { i += 1 }
                    tokens.append(ExpressionToken(kind: .word, text: text(start, i), start: start, end: i))
                } else {
                    tokens.append(ExpressionToken(kind: .number, text: text(start, i), start: start, end: i))
                }
            } else if isWordByte(c) {
                while i < source.count && isWordByte(source[i]) { i += 1 }
                let word = ExpressionToken(kind: .word, text: text(start, i), start: start, end: i)
                // DynamoDB's names start with a letter: `_a` is a syntax error there.
                if c == UInt8(ascii: "_") { throw syntaxError(kind, source, tokens + [word], at: tokens.count) }
                tokens.append(word)
            } else {
                let next = i + 1 < source.count ? source[i + 1] : 0
                if (c == UInt8(ascii: "<") && (next == UInt8(ascii: ">") || next == UInt8(ascii: "="))) || (c == UInt8(ascii: ">") && next == UInt8(ascii: "=")) {
                    i += 2
                    tokens.append(ExpressionToken(kind: .symbol, text: text(start, i), start: start, end: i))
                } else if "()[],.=<>+-".utf8.contains(c) {
                    i += 1
                    tokens.append(ExpressionToken(kind: .symbol, text: text(start, i), start: start, end: i))
                } else {
                    // One whole (possibly multi-byte) character.
                    var end = i + 1
                    while end < source.count && source[end] & 0xC0 == 0x80 { end += 1 }
                    let bad = ExpressionToken(kind: .symbol, text: text(start, end), start: start, end: end)
                    throw syntaxError(kind, source, tokens + [bad], at: tokens.count)
                }
            }
        }
        tokens.append(ExpressionToken(kind: .end, text: "<EOF>", start: source.count, end: source.count))
        return tokens
    }

    /// DynamoDB's syntax error: the offending token and the text around it.
    static func syntaxError(_ kind: ExpressionKind, _ source: [UInt8], _ tokens: [ExpressionToken], at index: Int) -> ShoalError {
        let token = tokens[index]
        let from = index > 0 ? tokens[index - 1].start : token.start
        let to = index + 1 < tokens.count && tokens[index + 1].kind != .end ? tokens[index + 1].end : token.end
        let near = String(decoding: source[max(0, from)..<min(source.count, max(from, to))], as: UTF8.self)
        return .validation("Invalid \(kind.rawValue): Syntax error; token: \"\(token.text)\", near: \"\(near)\"")
    }
}
