/// Exact addition of two ``Number``s on plain digit arrays: the aligned operands may need
/// more digits than `UInt128` holds before the result is normalised and checked.
enum DecimalDigits {
    static func add(_ a: Number, _ b: Number) throws(NumberError) -> Number {
        if a.isZero { return b }
        if b.isZero { return a }
        let low = min(a.exponent, b.exponent)
        let high = max(a.scientificExponent, b.scientificExponent)
        // The result's lowest nonzero digit sits at `low` (the operand with the lower exponent has a
        // nonzero last digit that nothing cancels), and its highest at least at `high - 1`.
        if high - 1 - low + 1 > Number.maxDigits { throw .tooManyDigits }
        let x = aligned(a, to: low)
        let y = aligned(b, to: low)
        var negative: Bool
        var sum: [UInt8]
        if a.isNegative == b.isNegative {
            sum = addMagnitudes(x, y)
            negative = a.isNegative
        } else if compareMagnitudes(x, y) >= 0 {
            sum = subtractMagnitudes(x, y)
            negative = a.isNegative
        } else {
            sum = subtractMagnitudes(y, x)
            negative = b.isNegative
        }
        // `sum` is little-endian digits; strip trailing zeros (low end) and leading zeros (high end).
        var exponent = low
        var start = 0
        while start < sum.count && sum[start] == 0 {
            start += 1
            exponent += 1
        }
        while let last = sum.last, last == 0 { sum.removeLast() }
        if start >= sum.count { return .zero }
        let significantDigits = sum.count - start
        // Range errors come before precision errors, as in DynamoDB.
        let scientific = exponent + significantDigits - 1
        guard scientific <= Number.maxExponent else { throw .overflow }
        guard scientific >= Number.minExponent else { throw .underflow }
        guard significantDigits <= Number.maxDigits else { throw .tooManyDigits }
        var significand: UInt128 = 0
        for i in stride(from: sum.count - 1, through: start, by: -1) {
            significand = significand * 10 + UInt128(sum[i])
        }
        return try Number(significand: significand, exponent: exponent, negative: negative)
    }

    /// Little-endian digits of `n`'s magnitude scaled so that the unit digit is `10^low`.
    private static func aligned(_ n: Number, to low: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: n.exponent - low)
        result.append(contentsOf: n.digits.reversed())
        return result
    }

    private static func addMagnitudes(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(max(x.count, y.count) + 1)
        var carry: UInt8 = 0
        for i in 0..<max(x.count, y.count) {
            let d = (i < x.count ? x[i] : 0) + (i < y.count ? y[i] : 0) + carry
            result.append(d % 10)
            carry = d / 10
        }
        if carry > 0 { result.append(carry) }
        return result
    }

    /// `x - y` for `x >= y`.
    private static func subtractMagnitudes(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(x.count)
        var borrow: Int = 0
        for i in 0..<x.count {
            var d = Int(x[i]) - borrow - Int(i < y.count ? y[i] : 0)
            borrow = 0
            if d < 0 {
                d += 10
                borrow = 1
            }
            result.append(UInt8(d))
        }
        return result
    }

    private static func compareMagnitudes(_ x: [UInt8], _ y: [UInt8]) -> Int {
        var xs = x.count
        var ys = y.count
        while xs > 0 && x[xs - 1] == 0 { xs -= 1 }
        while ys > 0 && y[ys - 1] == 0 { ys -= 1 }
        if xs != ys { return xs < ys ? -1 : 1 }
        var i = xs - 1
        while i >= 0 {
            if x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
            i -= 1
        }
        return 0
    }
}
