/// An order-preserving byte form of ``Number``: `memcmp` of two encodings orders them as the
/// numbers. Used for sort keys, numeric partition keys and inside the item encoding.
///
/// Layout: a class byte (1 negative, 2 zero, 3 positive); then, for non-zero numbers, the
/// scientific exponent biased by 130 (exactly one byte for -130…125) and one byte per digit
/// (`digit + 1`) closed by `0`. Negative numbers complement every byte after the class byte,
/// so larger magnitudes sort first. Never change this layout: it is on disk.
enum NumberEncoding {
    static let negativeClass: UInt8 = 1
    static let zeroClass: UInt8 = 2
    static let positiveClass: UInt8 = 3

    static func encode(_ n: Number, into w: inout ByteWriter) {
        if n.isZero {
            w.byte(zeroClass)
            return
        }
        let exponentByte = UInt8(n.scientificExponent - Number.minExponent)
        if n.isNegative {
            w.byte(negativeClass)
            w.byte(~exponentByte)
            for d in n.digits { w.byte(~(d + 1)) }
            w.byte(0xFF)
        } else {
            w.byte(positiveClass)
            w.byte(exponentByte)
            for d in n.digits { w.byte(d + 1) }
            w.byte(0)
        }
    }

    static func encode(_ n: Number) -> [UInt8] {
        var w = ByteWriter(capacity: 42)
        encode(n, into: &w)
        return w.bytes
    }

    static func decode<Source: ByteSource>(_ r: inout SourceReader<Source>) throws(ShoalError) -> Number {
        let cls = try r.byte()
        if cls == zeroClass { return .zero }
        guard cls == negativeClass || cls == positiveClass else { throw ByteReader.corrupt }
        let negative = cls == negativeClass
        var exponentByte = try r.byte()
        if negative { exponentByte = ~exponentByte }
        var significand: UInt128 = 0
        var count = 0
        var lastDigit: UInt8 = 0
        while true {
            var b = try r.byte()
            if negative { b = ~b }
            if b == 0 { break }
            // A stored significand is normalised: no leading zero digit either.
            guard b <= 10, count < Number.maxDigits, count > 0 || b > 1 else { throw ByteReader.corrupt }
            lastDigit = b - 1
            significand = significand * 10 + UInt128(lastDigit)
            count += 1
        }
        // A stored significand is normalised: no trailing zero digit.
        guard count > 0, lastDigit != 0 else { throw ByteReader.corrupt }
        let scientific = Int(exponentByte) + Number.minExponent
        return Number(uncheckedSignificand: significand, exponent: scientific - count + 1, negative: negative, digitCount: count)
    }
}
