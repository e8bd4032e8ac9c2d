// The PartiQL parser and everything that reads its tree: each input is a statement; one that
// parses is bound to parameters of every type, its WHERE turned into a condition and evaluated,
// its key analysed as the planner and the writes analyse it, and an UPDATE applied to an item.
import FuzzDriver
@testable import Shoal

let pool: [AttributeValue] = ["x", 1, .b([0, 255]), true, .null, .l(["a", 1]), .m(["k": "v"]), .ss(["x"]), .ns([1]), .bs([[1]])]
let item: Item = [
    "pk": "key", "sk": 2, "s": "text", "n": .n(try! Number("-12.5")), "b": .b([1, 2, 3]), "t": true, "z": .null,
    "l": .l(["a", .l([1, 2]), .m(["x": "y"])]), "m": .m(["a": .m(["b": .l([1])]), "s": "v"]),
    "ss": .ss(["a", "b"]), "ns": .ns([1, 2]), "bs": .bs([[0]]),
]
let schema = PrimaryKey(partition: .init(name: "pk", type: .s), sort: .init(name: "sk", type: .n))

func exercise(_ condition: PartiQLExpression?, _ binding: PartiQLBinding) {
    guard let condition else { return }
    if let converted = try? binding.condition(condition), (try? ExpressionChecks.check(converted, kind: .filter)) != nil {
        _ = ConditionEvaluator.evaluate(converted, on: item)
        _ = ConditionEvaluator.evaluate(converted, on: nil)
    }
    for conjunct in PartiQLKeys.conjuncts(condition) {
        _ = PartiQLKeys.pins(conjunct, on: "pk")
        _ = try? PartiQLKeys.sortCondition(conjunct, sort: schema.sort!, binding: binding)
    }
    _ = try? PartiQLKeys.fullKey(condition, schema: schema, binding: binding)
}

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let statement = try? PartiQLParser.parse(text) else { return }
    let parameters = (0..<statement.parameterCount).map { pool[$0 % pool.count] }
    guard let binding = try? PartiQLBinding(parameters, for: statement) else { return }
    switch statement {
    case .select(let select), .exists(let select):
        exercise(select.condition, binding)
    case let .insert(_, value):
        if let bound = try? binding.value(value) { _ = try? ItemValidation.validate(bound) }
    case .update(let update):
        exercise(update.condition, binding)
        var expression = UpdateExpression()
        for action in update.actions {
            switch action {
            case let .set(path, value):
                guard let operand = try? binding.updateOperand(value) else { return }
                expression.set.append(.init(path: DocumentPath(path), value: operand))
            case .remove(let path):
                expression.remove.append(DocumentPath(path))
            }
        }
        guard (try? ExpressionChecks.check(expression)) != nil else { return }
        _ = try? UpdateApplier.apply(expression, to: item, key: ["pk": "key", "sk": 2])
    case let .delete(_, condition, _):
        exercise(condition, binding)
    }
}
