// Public entry points to the expression language, for code that works with expression strings
// directly (tools, tests, benchmarks). The operations use the same parser and evaluator.

extension Condition {
    /// Parses a ConditionExpression (or FilterExpression) with its placeholders.
    /// - Throws: ``ShoalError`` with DynamoDB's message for any invalid expression or unused placeholder.
    public static func parse(_ expression: String, names: [String: String]? = nil,
                             values: [String: AttributeValue]? = nil) throws(ShoalError) -> Condition {
        var attributes = try ExpressionAttributes(names: names, values: values)
        let condition = try ExpressionParser.condition(expression, kind: .condition, attributes: &attributes)
        try attributes.checkAllUsed()
        return condition
    }

    /// Whether `item` (nil: no item) satisfies the condition, by DynamoDB's rules.
    public func isSatisfied(by item: Item?) -> Bool { ConditionEvaluator.evaluate(self, on: item) }
}

extension UpdateExpression {
    /// Parses an UpdateExpression with its placeholders.
    public static func parse(_ expression: String, names: [String: String]? = nil,
                             values: [String: AttributeValue]? = nil) throws(ShoalError) -> UpdateExpression {
        var attributes = try ExpressionAttributes(names: names, values: values)
        let update = try ExpressionParser.update(expression, attributes: &attributes)
        try attributes.checkAllUsed()
        return update
    }

    /// The item after this update; `item` nil means an upsert starting from `key`.
    public func apply(to item: Item?, key: Item) throws(ShoalError) -> Item {
        try UpdateApplier.apply(self, to: item, key: key)
    }
}
