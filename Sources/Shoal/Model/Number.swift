/// DynamoDB's number: an exact decimal with up to 38 significant digits and a magnitude
/// between 1e-130 and 9.9999999999999999999999999999999999999e125 (or zero).
///
/// The value is `(isNegative ? -1 : 1) × significand × 10^exponent`; the significand has no
/// trailing zeros, so every value has exactly one representation and `==` is numeric equality.
///
/// ```swift
/// let price = try Number("19.990")   // description "19.99"
/// let total = try price + Number(1)  // exactly 20.99
/// ```
public struct Number: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public static let maxDigits = 38
    /// Largest and smallest scientific exponents (`d.ddd × 10^e`) DynamoDB accepts.
    public static let maxExponent = 125
    public static let minExponent = -130

    public let significand: UInt128
    public let exponent: Int
    public let isNegative: Bool
    /// Number of decimal digits in `significand` (0 for zero).
    public let digitCount: Int

    public static let zero = Number(uncheckedSignificand: 0, exponent: 0, negative: false)

    /// Builds a number from parts that are already normalised and in range.
    init(uncheckedSignificand: UInt128, exponent: Int, negative: Bool, digitCount: Int? = nil) {
        self.significand = uncheckedSignificand
        self.exponent = uncheckedSignificand == 0 ? 0 : exponent
        self.isNegative = uncheckedSignificand == 0 ? false : negative
        self.digitCount = digitCount ?? Number.countDigits(uncheckedSignificand)
    }

    /// Normalises and range-checks `significand × 10^exponent`.
    /// - Throws: ``NumberError`` when out of range or too precise.
    public init(significand: UInt128, exponent: Int, negative: Bool) throws(NumberError) {
        var s = significand
        var e = exponent
        if s == 0 {
            self = .zero
            return
        }
        // Strip trailing zeros in 64-bit arithmetic when possible: 128-bit division is slow.
        while s > UInt128(UInt64.max) && s % 10 == 0 {
            s /= 10
            e += 1
        }
        if s <= UInt128(UInt64.max) {
            var small = UInt64(s)
            while small % 10 == 0 {
                small /= 10
                e += 1
            }
            s = UInt128(small)
        }
        let digits = Number.countDigits(s)
        guard digits <= Number.maxDigits else { throw .tooManyDigits }
        let scientific = e + digits - 1
        guard scientific <= Number.maxExponent else { throw .overflow }
        guard scientific >= Number.minExponent else { throw .underflow }
        self.init(uncheckedSignificand: s, exponent: e, negative: negative)
    }

    public init(_ value: Int) {
        let magnitude = UInt128(value.magnitude)
        // Any Int has at most 19 digits, always in range.
        self = (try? Number(significand: magnitude, exponent: 0, negative: value < 0)) ?? .zero
    }

    public init(integerLiteral value: Int) { self.init(value) }

    public init(_ value: UInt64) {
        self = (try? Number(significand: UInt128(value), exponent: 0, negative: false)) ?? .zero
    }

    /// The shortest decimal that reads back as `value`.
    /// - Throws: ``NumberError/notANumber`` for NaN and infinities, or a range error.
    public init(_ value: Double) throws(NumberError) {
        guard value.isFinite else { throw .notANumber }
        try self.init(parsing: "\(value)")
    }

    /// Parses DynamoDB's number syntax: optional sign, digits with an optional decimal point,
    /// optional exponent (`-12.5e3`, `.5`, `+7`, `1E-130`).
    public init(_ text: String) throws(NumberError) {
        try self.init(parsing: text)
    }

    private init(parsing text: String) throws(NumberError) {
        var utf8 = Array(text.utf8)[...]
        guard !utf8.isEmpty else { throw .empty }
        var negative = false
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
            negative = utf8.first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var digits: [UInt8] = []
        var sawDigit = false
        var sawPoint = false
        var fractionDigits = 0
        while let c = utf8.first, (c >= 48 && c <= 57) || c == UInt8(ascii: ".") {
            utf8 = utf8.dropFirst()
            if c == UInt8(ascii: ".") {
                guard !sawPoint else { throw .notANumber }
                sawPoint = true
                continue
            }
            sawDigit = true
            if sawPoint { fractionDigits += 1 }
            // Leading zeros carry no value.
            if digits.isEmpty && c == 48 { continue }
            digits.append(c - 48)
        }
        guard sawDigit else { throw .notANumber }
        var exponent = 0
        if let c = utf8.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            var exponentNegative = false
            if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
                exponentNegative = utf8.first == UInt8(ascii: "-")
                utf8 = utf8.dropFirst()
            }
            guard !utf8.isEmpty else { throw .notANumber }
            while let d = utf8.first, d >= 48 && d <= 57 {
                utf8 = utf8.dropFirst()
                // Clamp: anything this large is out of range either way.
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(d - 48) }
            }
            if exponentNegative { exponent = -exponent }
        }
        guard utf8.isEmpty else { throw .notANumber }
        while digits.last == 0 {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            self = .zero
            return
        }
        guard digits.count <= Number.maxDigits else { throw .tooManyDigits }
        var significand: UInt128 = 0
        for d in digits { significand = significand * 10 + UInt128(d) }
        try self.init(significand: significand, exponent: exponent - fractionDigits, negative: negative)
    }

    /// 10⁰ … 10³⁸.
    static let powersOfTen: [UInt128] = {
        var powers: [UInt128] = [1]
        for _ in 1...38 { powers.append(powers.last! * 10) }
        return powers
    }()

    /// Decimal digits of `value`, from its bit width (no division).
    static func countDigits(_ value: UInt128) -> Int {
        if value == 0 { return 0 }
        let bits = 128 - value.leadingZeroBitCount
        let estimate = (bits * 1233) >> 12
        return estimate < powersOfTen.count && value >= powersOfTen[estimate] ? estimate + 1 : estimate
    }

    public var isZero: Bool { significand == 0 }

    /// The exponent in scientific notation (`d.ddd × 10^scientificExponent`); 0 for zero.
    public var scientificExponent: Int { significand == 0 ? 0 : exponent + digitCount - 1 }

    /// The decimal digits of the significand, most significant first.
    var digits: [UInt8] {
        var result = [UInt8](repeating: 0, count: digitCount)
        // One 128-bit division, then 64-bit arithmetic for each half.
        let split = Number.powersOfTen[19]
        var low = UInt64(significand % split)
        var high = UInt64(significand / split)
        var i = digitCount - 1
        var taken = 0
        while i >= 0 && taken < 19 {
            result[i] = UInt8(low % 10)
            low /= 10
            i -= 1
            taken += 1
        }
        while i >= 0 {
            result[i] = UInt8(high % 10)
            high /= 10
            i -= 1
        }
        return result
    }

    /// DynamoDB's text form: plain notation, no exponent, no trailing zeros, no `-0`.
    public var description: String {
        if significand == 0 { return "0" }
        let digitText = String(significand)
        var result = isNegative ? "-" : ""
        if exponent >= 0 {
            result += digitText
            result += String(repeating: "0", count: exponent)
        } else if -exponent < digitCount {
            let split = digitText.index(digitText.startIndex, offsetBy: digitCount + exponent)
            result += digitText[..<split] + "." + digitText[split...]
        } else {
            result += "0." + String(repeating: "0", count: -exponent - digitCount) + digitText
        }
        return result
    }

    public var negated: Number {
        Number(uncheckedSignificand: significand, exponent: exponent, negative: !isNegative)
    }

    /// The integer value when the number is a whole number that fits.
    public var int64Value: Int64? {
        guard exponent >= 0 else { return nil }
        var v = significand
        for _ in 0..<exponent {
            guard v <= UInt128(Int64.max) else { return nil }
            v *= 10
        }
        if isNegative {
            guard v <= UInt128(Int64.max) + 1 else { return nil }
            return v == UInt128(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        guard v <= UInt128(Int64.max) else { return nil }
        return Int64(v)
    }

    /// The nearest `Double`.
    public var doubleValue: Double { Double(description) ?? .nan }

    // MARK: Comparison

    public static func < (lhs: Number, rhs: Number) -> Bool { compare(lhs, rhs) < 0 }

    /// Numeric comparison: negative, zero or positive.
    public static func compare(_ a: Number, _ b: Number) -> Int {
        let signA = a.significand == 0 ? 0 : (a.isNegative ? -1 : 1)
        let signB = b.significand == 0 ? 0 : (b.isNegative ? -1 : 1)
        if signA != signB { return signA < signB ? -1 : 1 }
        if signA == 0 { return 0 }
        let magnitude = compareMagnitude(a, b)
        return signA > 0 ? magnitude : -magnitude
    }

    private static func compareMagnitude(_ a: Number, _ b: Number) -> Int {
        if a.scientificExponent != b.scientificExponent {
            return a.scientificExponent < b.scientificExponent ? -1 : 1
        }
        // Same leading position: align the significands to the same digit count (≤ 38, fits UInt128).
        let width = max(a.digitCount, b.digitCount)
        let x = a.significand * pow10(width - a.digitCount)
        let y = b.significand * pow10(width - b.digitCount)
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    static func pow10(_ n: Int) -> UInt128 { powersOfTen[n] }

    // MARK: Exact arithmetic

    /// Exact sum. - Throws: ``NumberError`` when the result needs more than 38 digits or leaves the range.
    public static func + (lhs: Number, rhs: Number) throws(NumberError) -> Number {
        try DecimalDigits.add(lhs, rhs)
    }

    /// Exact difference. - Throws: ``NumberError`` as for `+`.
    public static func - (lhs: Number, rhs: Number) throws(NumberError) -> Number {
        try DecimalDigits.add(lhs, rhs.negated)
    }

    // MARK: Size

    /// Bytes this number counts for in DynamoDB's item size: one, plus one per two significant
    /// digits on each side of the decimal point, plus one when negative.
    public var dynamoSize: Int {
        if significand == 0 { return 1 }
        let integerDigits = max(0, min(digitCount, digitCount + exponent))
        let fractionDigits = digitCount - integerDigits
        return 1 + (integerDigits + 1) / 2 + (fractionDigits + 1) / 2 + (isNegative ? 1 : 0)
    }
}

/// Why a number was rejected; the messages are DynamoDB's.
public enum NumberError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case notANumber
    case tooManyDigits
    case overflow
    case underflow

    public var description: String {
        switch self {
        case .empty, .notANumber: return "The parameter cannot be converted to a numeric value"
        case .tooManyDigits: return "Attempting to store more than 38 significant digits in a Number"
        case .overflow: return "Number overflow. Attempting to store a number with magnitude larger than supported range"
        case .underflow: return "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        }
    }

    /// DynamoDB's message for `text` failing to parse: the value is named when it is not a number.
    public func message(parsing text: String) -> String {
        switch self {
        case .empty, .notANumber: return "\(description): \(text)"
        default: return description
        }
    }
}

extension Number: Codable {
    /// Outside Shoal's item coders a number travels as its exact decimal text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Int64.self))
        }
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }
}
