/// DynamoDB's JSON form of items (`{"name":{"S":"x"},"n":{"N":"1.5"}}`), written straight to
/// UTF-8 bytes, from a dictionary or from an item's stored encoding (no dictionary in between).
///
/// Both paths write the same bytes for the same item in the same member order: strings as
/// RFC 8259 requires (``JSONText``), numbers in DynamoDB's plain notation, binaries in base64.
public enum DynamoDBJSON {
    /// Appends `item` as a JSON object of attribute values.
    public static func append(_ item: LazyItem, to out: inout [UInt8]) {
        switch item.storage {
        case .decoded(let item):
            append(item, to: &out)
        case .encoded(let encoded):
            var r = ByteReader(encoded.bytes, offset: encoded.start)
            // Checked when it was read: rendering cannot fail; an empty object is the impossible fallback.
            let mark = out.count
            do {
                try appendEncodedMap(&r, to: &out, depth: 0)
            } catch {
                out.removeSubrange(mark...)
                out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
            }
        }
    }

    /// Appends `item` as a JSON object of attribute values, in the dictionary's order.
    public static func append(_ item: Item, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (name, value) in item {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(name.string, to: &out)
            out.append(UInt8(ascii: ":"))
            append(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends one attribute value (`{"S":"x"}`).
    public static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: nullValue)
            return
        case .bool(let b):
            out.append(contentsOf: b ? trueValue : falseValue)
            return
        case .s(let s):
            open("S", &out)
            JSONText.appendString(s, to: &out)
        case .n(let n):
            open("N", &out)
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: n.description.utf8)
            out.append(UInt8(ascii: "\""))
        case .b(let b):
            open("B", &out)
            JSONText.appendBase64(b[...], to: &out)
        case .m(let m):
            open("M", &out)
            append(m, to: &out)
        case .l(let l):
            open("L", &out)
            list(l.count, &out) { i, out in append(l[i], to: &out) }
        case .ss(let v):
            open("SS", &out)
            list(v.count, &out) { i, out in JSONText.appendString(v[i], to: &out) }
        case .ns(let v):
            open("NS", &out)
            list(v.count, &out) { i, out in
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: v[i].description.utf8)
                out.append(UInt8(ascii: "\""))
            }
        case .bs(let v):
            open("BS", &out)
            list(v.count, &out) { i, out in JSONText.appendBase64(v[i][...], to: &out) }
        }
        out.append(UInt8(ascii: "}"))
    }

    // MARK: From the stored encoding

    static func appendEncodedMap(_ r: inout ByteReader, to out: inout [UInt8], depth: Int) throws(ShoalError) {
        let count = try r.varint()
        out.append(UInt8(ascii: "{"))
        for i in 0..<count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            try appendEncodedString(&r, to: &out)
            out.append(UInt8(ascii: ":"))
            try appendEncodedValue(&r, to: &out, depth: depth)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends the encoded value at the reader (``ItemCodec``'s layout) as an attribute value.
    static func appendEncodedValue(_ r: inout ByteReader, to out: inout [UInt8], depth: Int) throws(ShoalError) {
        guard depth <= ItemValidation.maxNestingDepth + 1, let tag = ItemCodec.Tag(rawValue: try r.byte()) else {
            throw ByteReader.corrupt
        }
        switch tag {
        case .null:
            out.append(contentsOf: nullValue)
            return
        case .boolFalse:
            out.append(contentsOf: falseValue)
            return
        case .boolTrue:
            out.append(contentsOf: trueValue)
            return
        case .s:
            open("S", &out)
            try appendEncodedString(&r, to: &out)
        case .n:
            open("N", &out)
            try appendEncodedNumber(&r, to: &out)
        case .b:
            open("B", &out)
            try appendEncodedBinary(&r, to: &out)
        case .ss:
            open("SS", &out)
            try encodedList(&r, &out) { r, out throws(ShoalError) in try appendEncodedString(&r, to: &out) }
        case .ns:
            open("NS", &out)
            try encodedList(&r, &out) { r, out throws(ShoalError) in try appendEncodedNumber(&r, to: &out) }
        case .bs:
            open("BS", &out)
            try encodedList(&r, &out) { r, out throws(ShoalError) in try appendEncodedBinary(&r, to: &out) }
        case .l:
            open("L", &out)
            try encodedList(&r, &out) { r, out throws(ShoalError) in try appendEncodedValue(&r, to: &out, depth: depth + 1) }
        case .m:
            open("M", &out)
            try appendEncodedMap(&r, to: &out, depth: depth + 1)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func encodedList(_ r: inout ByteReader, _ out: inout [UInt8],
                                    _ member: (inout ByteReader, inout [UInt8]) throws(ShoalError) -> Void) throws(ShoalError) {
        let count = try ItemCodec.boundedCount(&r)
        out.append(UInt8(ascii: "["))
        for i in 0..<count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            try member(&r, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func appendEncodedString(_ r: inout ByteReader, to out: inout [UInt8]) throws(ShoalError) {
        let count = try r.varint()
        guard count <= r.bytes.count - r.offset else { throw ByteReader.corrupt }
        JSONText.appendString(bytes: r.bytes[r.offset..<r.offset + count], to: &out)
        try r.skip(count)
    }

    private static func appendEncodedBinary(_ r: inout ByteReader, to out: inout [UInt8]) throws(ShoalError) {
        let count = try r.varint()
        guard count <= r.bytes.count - r.offset else { throw ByteReader.corrupt }
        JSONText.appendBase64(r.bytes[r.offset..<r.offset + count], to: &out)
        try r.skip(count)
    }

    /// A number in DynamoDB's text form (``Number/description``), quoted, from ``NumberEncoding``.
    static func appendEncodedNumber(_ r: inout ByteReader, to out: inout [UInt8]) throws(ShoalError) {
        out.append(UInt8(ascii: "\""))
        try NumberEncoding.appendText(&r, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Pieces

    private static let nullValue: [UInt8] = Array(#"{"NULL":true}"#.utf8)
    private static let trueValue: [UInt8] = Array(#"{"BOOL":true}"#.utf8)
    private static let falseValue: [UInt8] = Array(#"{"BOOL":false}"#.utf8)

    /// `{"T":` — the caller writes the payload and the closing brace.
    private static func open(_ type: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: type.utf8)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    private static func list(_ count: Int, _ out: inout [UInt8], _ member: (Int, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for i in 0..<count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            member(i, &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension NumberEncoding {
    /// Appends the text of the encoded number at the reader, exactly as ``Number/description``
    /// writes it: plain notation, no exponent, no trailing zeros.
    static func appendText(_ r: inout ByteReader, to out: inout [UInt8]) throws(ShoalError) {
        let cls = try r.byte()
        if cls == zeroClass {
            out.append(UInt8(ascii: "0"))
            return
        }
        guard cls == negativeClass || cls == positiveClass else { throw ByteReader.corrupt }
        let negative = cls == negativeClass
        var exponentByte = try r.byte()
        if negative { exponentByte = ~exponentByte }
        let scientific = Int(exponentByte) + Number.minExponent
        // Count the digits first: where the point goes depends on how many there are.
        let digitsStart = r.offset
        var count = 0
        var last: UInt8 = 0
        while true {
            var b = try r.byte()
            if negative { b = ~b }
            if b == 0 { break }
            guard b <= 10, count < Number.maxDigits, count > 0 || b > 1 else { throw ByteReader.corrupt }
            last = b
            count += 1
        }
        guard count > 0, last != 1 else { throw ByteReader.corrupt }
        let bytes = r.bytes
        func digit(_ i: Int) -> UInt8 {
            let b = negative ? ~bytes[digitsStart + i] : bytes[digitsStart + i]
            return UInt8(ascii: "0") + b - 1
        }
        if negative { out.append(UInt8(ascii: "-")) }
        if scientific >= count - 1 {
            for i in 0..<count { out.append(digit(i)) }
            for _ in 0..<(scientific - count + 1) { out.append(UInt8(ascii: "0")) }
        } else if scientific >= 0 {
            for i in 0...scientific { out.append(digit(i)) }
            out.append(UInt8(ascii: "."))
            for i in (scientific + 1)..<count { out.append(digit(i)) }
        } else {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-scientific - 1) { out.append(UInt8(ascii: "0")) }
            for i in 0..<count { out.append(digit(i)) }
        }
    }
}
