import Testing
@testable import Shoal

/// Parses with the given placeholders and checks that all were used.
private func parse(_ text: String, kind: ExpressionKind = .condition, names: [String: String]? = nil,
                   values: [String: AttributeValue]? = nil) throws(ShoalError) -> Condition {
    var attributes = try ExpressionAttributes(names: names, values: values?.isEmpty == true ? nil : values)
    let condition = try ExpressionParser.condition(text, kind: kind, attributes: &attributes)
    try attributes.checkAllUsed()
    return condition
}

private func parseUpdate(_ text: String, names: [String: String]? = nil, values: [String: AttributeValue]? = nil) throws(ShoalError) -> UpdateExpression {
    var attributes = try ExpressionAttributes(names: names, values: values?.isEmpty == true ? nil : values)
    let update = try ExpressionParser.update(text, attributes: &attributes)
    try attributes.checkAllUsed()
    return update
}

private let v: [String: AttributeValue] = [":a": 1, ":b": 2, ":s": "x", ":l": .l([.s("e")]), ":ss": .ss(["p"]), ":t": "SS"]

private func path(_ s: DocumentPath) -> Operand { .path(s) }

@Suite struct ExpressionParserTests {
    @Test(arguments: [
        ("a = :a", Condition.comparison(path("a"), .equal, .value(1))),
        ("a <> :a", .comparison(path("a"), .notEqual, .value(1))),
        ("a < :a", .comparison(path("a"), .less, .value(1))),
        ("a <= :a", .comparison(path("a"), .lessOrEqual, .value(1))),
        ("a > :a", .comparison(path("a"), .greater, .value(1))),
        ("a >= :a", .comparison(path("a"), .greaterOrEqual, .value(1))),
        (":a = a", .comparison(.value(1), .equal, path("a"))),
        ("a.b[2].c = :a", .comparison(.path(DocumentPath([.name("a"), .name("b"), .index(2), .name("c")])), .equal, .value(1))),
        ("#n[0][1] = :a", .comparison(.path(DocumentPath([.name("status"), .index(0), .index(1)])), .equal, .value(1))),
        ("a BETWEEN :a AND :b", .between(path("a"), .value(1), .value(2))),
        ("a IN (:a, :b, :s)", .isIn(path("a"), [.value(1), .value(2), .value("x")])),
        ("a = :a AND b = :b OR c = :s", .or(.and(.comparison(path("a"), .equal, .value(1)), .comparison(path("b"), .equal, .value(2))), .comparison(path("c"), .equal, .value("x")))),
        ("a = :a OR b = :b AND c = :s", .or(.comparison(path("a"), .equal, .value(1)), .and(.comparison(path("b"), .equal, .value(2)), .comparison(path("c"), .equal, .value("x"))))),
        ("(a = :a OR b = :b) AND c = :s", .and(.or(.comparison(path("a"), .equal, .value(1)), .comparison(path("b"), .equal, .value(2))), .comparison(path("c"), .equal, .value("x")))),
        ("NOT a = :a AND b = :b", .and(.not(.comparison(path("a"), .equal, .value(1))), .comparison(path("b"), .equal, .value(2)))),
        ("NOT NOT attribute_exists(a)", .not(.not(.attributeExists("a")))),
        ("attribute_exists(a) and attribute_not_exists(b.c)", .and(.attributeExists("a"), .attributeNotExists("b.c"))),
        ("attribute_type(a, :t)", .attributeType(.path("a"), .value("SS"))),
        ("begins_with(a, :s)", .beginsWith(path("a"), .value("x"))),
        ("contains(a, :s)", .contains(path("a"), .value("x"))),
        ("size(a) > :a", .comparison(.size(.path("a")), .greater, .value(1))),
        ("size(a) between :a and :b", .between(.size(.path("a")), .value(1), .value(2))),
    ])
    func conditionGrammar(text: String, expected: Condition) throws {
        var values = v
        var names: [String: String]? = nil
        if text.contains("#n") { names = ["#n": "status"] }
        // Only pass the placeholders the expression uses, as DynamoDB requires.
        values = values.filter { text.contains($0.key + " ") || text.contains($0.key + ",") || text.contains($0.key + ")") || text.hasSuffix($0.key) }
        #expect(try parse(text, names: names, values: values) == expected)
    }

    @Test(arguments: [
        ("a = ", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \""),
        ("a == :a", "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"== :a\""),
        ("attribute_type(a, :s)", "Invalid ConditionExpression: Invalid attribute type name found in type parameter: x"),
        ("a = :a AND", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""),
        ("a ! :a", "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a !\""),
        ("(a = :a", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":a\""),
        ("status = :a", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
        ("a.Name = :a", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name"),
        ("a = :zz", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz"),
        ("#zz = :a", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #zz"),
        ("size(a)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"),
        ("a = attribute_exists(b)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ("a = if_not_exists(b, :a)", "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"),
        ("foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"),
        ("attribute_exists(:a)", "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"),
        ("begins_with(a)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
        ("begins_with(a, :a)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ("a < :l", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L"),
        ("a BETWEEN :b AND :a", "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N: 2}, upper bound operand: AttributeValue: {N: 1}"),
        ("a BETWEEN :a AND :s", "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N: 1}, upper bound operand: AttributeValue: {S: x}"),
        ("a[x] = :a", "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\""),
        ("", "Invalid ConditionExpression: The expression can not be empty;"),
    ])
    func conditionErrors(text: String, message: String) {
        #expect(throws: ShoalError.validation(message)) { _ = try parse(text, values: v.filter { text.contains($0.key) }) }
    }

    @Test func inListLimit() throws {
        let values = Dictionary(uniqueKeysWithValues: (0...100).map { (":v\($0)", AttributeValue.n(Number($0))) })
        let hundred = "a IN (" + (0..<100).map { ":v\($0)" }.joined(separator: ", ") + ")"
        _ = try parse(hundred, values: values.filter { $0.key != ":v100" })
        let tooMany = "a IN (" + (0...100).map { ":v\($0)" }.joined(separator: ", ") + ")"
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101")) {
            _ = try parse(tooMany, values: values)
        }
    }

    @Test func expressionLengthAndNestingLimits() throws {
        let long = "a = :a" + String(repeating: " ", count: 4100)
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4106")) {
            _ = try parse(long, values: [":a": 1])
        }
        let deep = String(repeating: "(", count: 300) + "a = :a" + String(repeating: ")", count: 300)
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: The expression has redundant parentheses")) {
            _ = try parse(deep, values: [":a": 1])
        }
        let nested = String(repeating: "(a = :a AND ", count: 200) + "a = :a" + String(repeating: ")", count: 200)
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: The expression contains too many operators; operator count: 301")) {
            _ = try parse(nested, values: [":a": 1])
        }
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: The expression has redundant parentheses")) {
            _ = try parse("((a <> :a))", values: [":a": 1])
        }
        #expect(try parse("(a <> :a)", values: [":a": 1]) == .comparison(.path("a"), .notEqual, .value(1)))
        #expect(try parse("((a <> :a) and a <> :a)", values: [":a": 1])
            == .and(.comparison(.path("a"), .notEqual, .value(1)), .comparison(.path("a"), .notEqual, .value(1))))
        let deepPath = (0..<33).map { "p\($0)" }.joined(separator: ".") + " = :a"
        #expect(throws: ShoalError.validation("Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33")) {
            _ = try parse(deepPath, values: [":a": 1])
        }
    }

    @Test func unusedAndInvalidPlaceholders() {
        #expect(throws: ShoalError.validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}")) {
            _ = try parse("a = :a", values: [":a": 1, ":b": 2])
        }
        #expect(throws: ShoalError.validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {#x, #y}")) {
            _ = try parse("a = :a", names: ["#x": "x", "#y": "y"], values: [":a": 1])
        }
        #expect(throws: ShoalError.validation("ExpressionAttributeValues must not be empty")) {
            _ = try ExpressionAttributes(names: nil, values: [:])
        }
        #expect(throws: ShoalError.validation("ExpressionAttributeValues contains invalid value: An string set  may not be empty for key :e")) {
            _ = try parse("a = :e", values: [":e": .ss([])])
        }
        #expect(throws: ShoalError.validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\"")) {
            _ = try parse("a = :a", names: ["n": "x"], values: [":a": 1])
        }
    }

    @Test func updateGrammar() throws {
        let update = try parseUpdate(
            "SET a = :a, b.c[1] = b.c[0] + :b, d = list_append(if_not_exists(d, :l), :l), e = :a - :b REMOVE f, g[2] ADD h :a, i :ss DELETE j :ss",
            values: [":a": 1, ":b": 2, ":l": .l([.s("e")]), ":ss": .ss(["p"])])
        #expect(update.set == [
            .init(path: "a", value: .value(1)),
            .init(path: "b.c[1]", value: .plus(.path("b.c[0]"), .value(2))),
            .init(path: "d", value: .listAppend(.ifNotExists("d", .value(.l([.s("e")]))), .value(.l([.s("e")])))),
            .init(path: "e", value: .minus(.value(1), .value(2))),
        ])
        #expect(update.remove == ["f", "g[2]"])
        #expect(update.add == [.init(path: "h", value: .value(1)), .init(path: "i", value: .value(.ss(["p"])))])
        #expect(update.delete == [.init(path: "j", value: .value(.ss(["p"])))])
        // Keywords are case-insensitive and clauses come in any order.
        #expect(try parseUpdate("remove x set y = :a", values: [":a": 1]) == UpdateExpression(set: [.init(path: "y", value: .value(1))], remove: ["x"]))
    }

    @Test(arguments: [
        ("SET a = :a SET b = :a", "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"),
        ("SET a = :a, a.b = :a", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
        ("SET a.b = :a REMOVE a[0]", "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"),
        ("SET a = :a REMOVE a", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("SET a = :s + :a", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"),
        ("ADD a :s", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: S"),
        ("ADD a :l", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: L"),
        ("DELETE a :a", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: N"),
        ("SET a = size(b)", "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"),
        ("SET a = list_append(:a, b)", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N"),
        ("SET a = if_not_exists(:a, b)", "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"),
        ("SET a = b + c + :a", "Invalid UpdateExpression: Syntax error; token: \"+\", near: \"c + :a\""),
        ("UPSERT a = :a", "Invalid UpdateExpression: Syntax error; token: \"UPSERT\", near: \"UPSERT a\""),
        ("SET a :a", "Invalid UpdateExpression: Syntax error; token: \":a\", near: \"a :a\""),
    ])
    func updateErrors(text: String, message: String) {
        #expect(throws: ShoalError.validation(message)) {
            _ = try parseUpdate(text, values: v.filter { text.contains($0.key + " ") || text.contains($0.key + ",") || text.contains($0.key + ")") || text.hasSuffix($0.key) })
        }
    }

    @Test func projections() throws {
        var attributes = try ExpressionAttributes(names: ["#n": "name"], values: nil)
        #expect(try ExpressionParser.projection("a, #n.b[1], c", attributes: &attributes) == ["a", "name.b[1]", "c"])
        #expect(throws: ShoalError.validation("Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]")) {
            var empty = ExpressionAttributes.empty
            _ = try ExpressionParser.projection("a, a.b", attributes: &empty)
        }
        #expect(throws: ShoalError.validation("Invalid ProjectionExpression: Syntax error; token: \":a\", near: \", :a\"")) {
            var values = try ExpressionAttributes(names: nil, values: [":a": 1])
            _ = try ExpressionParser.projection("a, :a", attributes: &values)
        }
    }
}
