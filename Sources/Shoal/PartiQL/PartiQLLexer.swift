/// One token of a PartiQL statement, with the byte offset it starts at (errors name its line and column).
struct PartiQLToken: Equatable {
    enum Kind: Equatable {
        /// An unquoted identifier or keyword (`SELECT`, `Artist`).
        case word
        /// A double-quoted identifier (`"Music"`), unescaped.
        case quoted
        /// A single-quoted string literal, unescaped.
        case string
        case number
        /// Punctuation and operators: `( ) [ ] { } , . : * + - = < > <= >= <> != << >> ?`.
        case symbol
        case end
    }

    var kind: Kind
    var text: String
    var offset: Int

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }

    /// Keywords are case-insensitive; `keyword` is given in upper case.
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.utf8.count == keyword.utf8.count
            && zip(text.utf8, keyword.utf8).allSatisfy { a, b in (a >= 0x61 && a <= 0x7A ? a - 0x20 : a) == b }
    }
}

/// Splits a statement into tokens, byte by byte. Comments (`--` to the end of the line and
/// `/* … */`) are skipped.
enum PartiQLLexer {
    private static func isWordStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func isWordByte(_ b: UInt8) -> Bool { isWordStart(b) || isDigit(b) || b == 0x24 }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    static func tokenize(_ source: [UInt8]) throws(ShoalError) -> [PartiQLToken] {
        var tokens: [PartiQLToken] = []
        var i = 0
        let n = source.count
        func text(_ range: Range<Int>) -> String { String(decoding: source[range], as: UTF8.self) }
        while i < n {
            let b = source[i]
            if isSpace(b) { i += 1; continue }
            if b == 0x2D, i + 1 < n, source[i + 1] == 0x2D {  // -- comment
                while i < n, source[i] != 0x0A { i += 1 }
                continue
            }
            if b == 0x2F, i + 1 < n, source[i + 1] == 0x2A {  // /* comment */
                let start = i
                i += 2
                while i + 1 < n, !(source[i] == 0x2A && source[i + 1] == 0x2F) { i += 1 }
                guard i + 1 < n else { throw PartiQLError.malformed("unterminated comment", source, at: start) }
                i += 2
                continue
            }
            let start = i
            if isWordStart(b) {
                while i < n, isWordByte(source[i]) { i += 1 }
                tokens.append(PartiQLToken(kind: .word, text: text(start..<i), offset: start))
            } else if b == 0x22 || b == 0x27 {  // "identifier" or 'string', the quote doubled inside
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if source[i] == b {
                        if i + 1 < n, source[i + 1] == b {
                            bytes.append(b)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    bytes.append(source[i])
                    i += 1
                }
                guard closed else {
                    throw PartiQLError.malformed(b == 0x22 ? "unterminated quoted identifier" : "unterminated string literal", source, at: start)
                }
                guard let decoded = String(validating: bytes, as: UTF8.self) else {
                    throw PartiQLError.malformed("invalid UTF-8 in a quoted token", source, at: start)
                }
                tokens.append(PartiQLToken(kind: b == 0x22 ? .quoted : .string, text: decoded, offset: start))
            } else if isDigit(b) || (b == 0x2E && i + 1 < n && isDigit(source[i + 1])) {
                while i < n, isDigit(source[i]) { i += 1 }
                if i < n, source[i] == 0x2E {
                    i += 1
                    while i < n, isDigit(source[i]) { i += 1 }
                }
                if i < n, source[i] == 0x65 || source[i] == 0x45 {
                    var j = i + 1
                    if j < n, source[j] == 0x2B || source[j] == 0x2D { j += 1 }
                    if j < n, isDigit(source[j]) {
                        i = j
                        while i < n, isDigit(source[i]) { i += 1 }
                    }
                }
                if i < n, isWordStart(source[i]) {
                    throw PartiQLError.malformed("invalid number literal", source, at: start)
                }
                tokens.append(PartiQLToken(kind: .number, text: text(start..<i), offset: start))
            } else {
                let two = i + 1 < n ? text(i..<(i + 2)) : ""
                if ["<=", ">=", "<>", "!=", "<<", ">>"].contains(two) {
                    tokens.append(PartiQLToken(kind: .symbol, text: two, offset: start))
                    i += 2
                } else if "()[]{},.:*+-=<>?;".utf8.contains(b) {
                    tokens.append(PartiQLToken(kind: .symbol, text: String(UnicodeScalar(b)), offset: start))
                    i += 1
                } else {
                    throw PartiQLError.malformed("unexpected character", source, at: start)
                }
            }
        }
        tokens.append(PartiQLToken(kind: .end, text: "", offset: n))
        return tokens
    }
}

/// The errors of statements, worded as DynamoDB's.
enum PartiQLError {
    static let malformedPrefix = "Statement wasn't well formed, can't be processed: "

    /// A statement that does not parse: what is wrong, and where (line and column, from 1).
    static func malformed(_ detail: String, _ source: [UInt8], at offset: Int) -> ShoalError {
        var line = 1
        var column = 1
        for b in source[..<min(offset, source.count)] {
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return .validation(malformedPrefix + "\(detail) at line \(line), column \(column)")
    }

    /// A statement that parses but asks for something DynamoDB's dialect does not do.
    static func unsupported(_ detail: String) -> ShoalError { .validation("Unsupported operation: \(detail)") }

    static let parameterCount = ShoalError.validation("Number of parameters in request and statement don't match.")
    static let keyEquality = ShoalError.validation("Where clause does not contain a mandatory equality on all key attributes")
    static let onIndex = ShoalError.validation("This operation is not supported on an index")
    static let duplicateItem = ShoalError(.duplicateItem, "Duplicate primary key exists in table")
}
