// The five expression kinds: the first byte picks the kind, the rest is the expression. Each is
// parsed and checked with a fixed set of placeholders, then evaluated against (or applied to,
// or projected from) an item holding every attribute type.
import FuzzDriver
@testable import Shoal

let names: [String: String] = ["#a": "a", "#b": "b", "#n": "n", "#l": "l", "#m": "m", "#s": "s", "#k": "k", "#e": "\u{E9}"]
let values: [String: AttributeValue] = [
    ":s": "x", ":n": 1, ":b": .b([0, 255]), ":t": true, ":z": .null, ":l": .l(["a", 1]), ":m": .m(["k": "v"]),
    ":ss": .ss(["x", "y"]), ":ns": .ns([1, 2]), ":bs": .bs([[1]]), ":type": "S", ":big": .n(try! Number("9.9999999999999999999999999999999999999E+125")),
]
let item: Item = [
    "k": "key", "s": "text", "n": .n(try! Number("-12.5")), "b": .b([1, 2, 3]), "t": true, "z": .null,
    "l": .l(["a", .l([1, 2]), .m(["x": "y"])]), "m": .m(["a": .m(["b": .l([1])]), "s": "v"]),
    "ss": .ss(["a", "b"]), "ns": .ns([1, 2]), "bs": .bs([[0]]),
]

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    guard var attributes = try? ExpressionAttributes(names: names, values: values) else { return }
    switch selector % 5 {
    case 0, 1, 2:
        let kind: ExpressionKind = [.condition, .filter, .keyCondition][Int(selector % 5)]
        guard let condition = try? ExpressionParser.condition(text, kind: kind, attributes: &attributes) else { return }
        _ = ConditionEvaluator.evaluate(condition, on: item)
        _ = ConditionEvaluator.evaluate(condition, on: nil)
        _ = ExpressionPrinter.print(condition)
    case 3:
        guard let update = try? ExpressionParser.update(text, attributes: &attributes) else { return }
        _ = try? UpdateApplier.apply(update, to: item, key: ["k": "key"])
        _ = try? UpdateApplier.apply(update, to: nil, key: ["k": "key"])
    default:
        guard let paths = try? ExpressionParser.projection(text, attributes: &attributes) else { return }
        _ = Projection.apply(paths, to: item)
    }
}
