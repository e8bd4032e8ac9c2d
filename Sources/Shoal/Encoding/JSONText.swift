/// The pieces of JSON text that DynamoDB's wire format and Shoal's renderers share: strings
/// escaped as RFC 8259 requires, binaries in standard base64 with padding.
public enum JSONText {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends `s` as a quoted JSON string.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        appendQuoted(s.utf8, to: &out)
    }

    /// Appends the UTF-8 text `bytes` (already valid) as a quoted JSON string.
    public static func appendString(bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        appendQuoted(bytes, to: &out)
    }

    private static func appendQuoted<C: Collection<UInt8>>(_ text: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: one scan, then one copy.
        guard text.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            out.append(contentsOf: text)
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in text {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` in standard base64 (with `=` padding), quoted.
    public static func appendBase64(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var i = bytes.startIndex
        let end = bytes.endIndex
        while end - i >= 3 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(base64Alphabet[Int(n >> 18)])
            out.append(base64Alphabet[Int(n >> 12 & 0x3F)])
            out.append(base64Alphabet[Int(n >> 6 & 0x3F)])
            out.append(base64Alphabet[Int(n & 0x3F)])
            i += 3
        }
        switch end - i {
        case 2:
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(base64Alphabet[Int(n >> 18)])
            out.append(base64Alphabet[Int(n >> 12 & 0x3F)])
            out.append(base64Alphabet[Int(n >> 6 & 0x3F)])
            out.append(UInt8(ascii: "="))
        case 1:
            let n = UInt32(bytes[i]) << 16
            out.append(base64Alphabet[Int(n >> 18)])
            out.append(base64Alphabet[Int(n >> 12 & 0x3F)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        default:
            break
        }
        out.append(UInt8(ascii: "\""))
    }
}
