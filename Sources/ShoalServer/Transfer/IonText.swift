import Foundation
import Shoal

/// Items as DynamoDB's Ion exports write them (Amazon Ion's text format): one
/// `$ion_1_0 {Item:{…}}` per line; strings as Ion strings, numbers as Ion decimals (`12d-1`),
/// binary as blobs (`{{base64}}`), sets as lists annotated `$dynamodb_SS`, `$dynamodb_NS` or
/// `$dynamodb_BS`, maps as structs (field names as quoted symbols), lists as lists.
enum IonText {
    static func line(item: Item) -> [UInt8] {
        var out = Array("$ion_1_0 {Item:".utf8)
        append(item, to: &out)
        out += Array("}\n".utf8)
        return out
    }

    static func append(_ item: Item, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (position, (name, value)) in item.sorted(by: { $0.key.string < $1.key.string }).enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            quoted(name.string, delimiter: UInt8(ascii: "'"), to: &out)
            out.append(UInt8(ascii: ":"))
            append(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        switch value {
        case .s(let s): quoted(s, delimiter: UInt8(ascii: "\""), to: &out)
        case .n(let n): out += Array(decimal(n).utf8)
        case .b(let b): out += Array(("{{" + Data(b).base64EncodedString() + "}}").utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .null: out += Array("null".utf8)
        case .m(let m): append(m, to: &out)
        case .l(let l): list(l.count, to: &out) { append(l[$0], to: &$1) }
        case .ss(let v):
            out += Array("$dynamodb_SS::".utf8)
            list(v.count, to: &out) { quoted(v[$0], delimiter: UInt8(ascii: "\""), to: &$1) }
        case .ns(let v):
            out += Array("$dynamodb_NS::".utf8)
            list(v.count, to: &out) { $1 += Array(decimal(v[$0]).utf8) }
        case .bs(let v):
            out += Array("$dynamodb_BS::".utf8)
            list(v.count, to: &out) { $1 += Array(("{{" + Data(v[$0]).base64EncodedString() + "}}").utf8) }
        }
    }

    private static func list(_ count: Int, to out: inout [UInt8], _ element: (Int, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for index in 0..<count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            element(index, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// An Ion decimal: the number's digits and a `d` exponent (`1.25` → `125d-2`, `600` → `600d0`).
    static func decimal(_ number: Number) -> String {
        var text = number.description
        var negative = false
        if text.hasPrefix("-") {
            negative = true
            text.removeFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "E" || $0 == "e" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        if let dot = text.firstIndex(of: ".") {
            exponent -= text.distance(from: dot, to: text.endIndex) - 1
            text.remove(at: dot)
        }
        let digits = text.drop { $0 == "0" }
        return (negative ? "-" : "") + (digits.isEmpty ? "0" : String(digits)) + "d" + String(exponent)
    }

    /// A quoted Ion string (`"`) or symbol (`'`), with Ion's escapes.
    static func quoted(_ text: String, delimiter: UInt8, to out: inout [UInt8]) {
        out.append(delimiter)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            default:
                if scalar.value == UInt32(delimiter) {
                    out.append(UInt8(ascii: "\\"))
                    out.append(delimiter)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += Array(String(format: "\\x%02x", scalar.value).utf8)
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        out.append(delimiter)
    }
}
