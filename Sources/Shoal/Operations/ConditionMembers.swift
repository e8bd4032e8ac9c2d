/// The members of a conditional write that PutItem, UpdateItem, DeleteItem and a transaction's
/// actions (ConditionCheck too) share. Each of those requests keeps them in `conditions` and
/// reads and writes them as its own (`request.conditionExpression = …`) through
/// ``ConditionalWriteRequest``.
public struct ConditionMembers: Sendable, Hashable {
    /// A condition the current item must meet (`ConditionExpression`).
    public var conditionExpression: String?
    /// The same as a typed value (combined with `conditionExpression` by AND when both are given).
    public var condition: Condition?
    /// The request's placeholders (UpdateItem's update expression uses them too).
    public var expressionAttributeNames: [String: String]?
    public var expressionAttributeValues: [String: AttributeValue]?
    /// Legacy conditions; cannot be combined with `conditionExpression` (nor used in a transaction).
    public var expected: [AttributeName: ExpectedAttributeValue]?
    public var conditionalOperator: ConditionalOperator?
    /// `ALL_OLD`: a failed condition returns the item as it was.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

    public init(conditionExpression: String? = nil, condition: Condition? = nil, expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, expected: [AttributeName: ExpectedAttributeValue]? = nil,
                conditionalOperator: ConditionalOperator? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.conditionExpression = conditionExpression
        self.condition = condition
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.expected = expected
        self.conditionalOperator = conditionalOperator
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }
}

/// A request that carries ``ConditionMembers``: each member reads and writes as the request's own.
@dynamicMemberLookup
public protocol ConditionalWriteRequest {
    var conditions: ConditionMembers { get set }
}

extension ConditionalWriteRequest {
    public subscript<T>(dynamicMember member: WritableKeyPath<ConditionMembers, T>) -> T {
        get { conditions[keyPath: member] }
        set { conditions[keyPath: member] = newValue }
    }
}

extension ConditionMembers {
    var returnsOldOnFailure: Bool { returnValuesOnConditionCheckFailure == .allOld }

    /// Whether the legacy members are used (a transaction refuses them).
    var usesLegacy: Bool { expected != nil || conditionalOperator != nil }

    /// The condition to check, from the expression, the typed value or the legacy `Expected`,
    /// parsed through the request's placeholders (`input`, which other expressions may share).
    func resolve(_ input: inout ExpressionInput) throws(ShoalError) -> Condition? {
        try LegacyParameters.checkNotMixed(legacy: [("Expected", expected != nil), ("ConditionalOperator", conditionalOperator != nil)],
                                           expressions: [("ConditionExpression", conditionExpression != nil || condition != nil)])
        // An empty Expected is no condition at all: ConditionalOperator has nothing to join.
        if conditionalOperator != nil && expected?.isEmpty ?? true {
            throw .validation("ConditionalOperator cannot be used without Filter or Expected")
        }
        if let expected {
            return try LegacyParameters.condition(expected, conditionalOperator: conditionalOperator)
        }
        let parsed = try input.condition(conditionExpression, kind: .condition)
        if let condition { try ExpressionChecks.check(condition, kind: .condition) }
        switch (parsed, condition) {
        case let (a?, b?): return .and(a, b)
        default: return parsed ?? condition
        }
    }

    /// The condition of a request whose only expression it is (PutItem, DeleteItem, a
    /// ConditionCheck): its placeholders must all be used by it.
    func resolve() throws(ShoalError) -> Condition? {
        var input = try ExpressionInput(names: expressionAttributeNames, values: expressionAttributeValues,
                                        usesExpressions: conditionExpression != nil)
        let resolved = try resolve(&input)
        try input.finish()
        return resolved
    }
}
