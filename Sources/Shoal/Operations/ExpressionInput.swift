/// `ReturnValuesOnConditionCheckFailure`.
public enum ReturnValuesOnConditionCheckFailure: String, Sendable, CaseIterable {
    case none = "NONE"
    case allOld = "ALL_OLD"
}

/// The expression parameters of one request: parses each expression it carries through one
/// shared set of placeholders, then checks that every placeholder was used.
struct ExpressionInput {
    private(set) var attributes: ExpressionAttributes

    /// - Parameter usesExpressions: whether the request carries any expression; placeholders are
    ///   rejected otherwise, as DynamoDB does.
    init(names: [String: String]?, values: [String: AttributeValue]?, usesExpressions: Bool) throws(ShoalError) {
        if !usesExpressions {
            if names != nil { throw .validation("ExpressionAttributeNames can only be specified when using expressions") }
            if values != nil { throw .validation("ExpressionAttributeValues can only be specified when using expressions") }
        }
        attributes = try ExpressionAttributes(names: names, values: values)
    }

    mutating func condition(_ text: String?, kind: ExpressionKind) throws(ShoalError) -> Condition? {
        guard let text else { return nil }
        return try ExpressionParser.condition(text, kind: kind, attributes: &attributes)
    }

    mutating func projection(_ text: String?) throws(ShoalError) -> [DocumentPath]? {
        guard let text else { return nil }
        return try ExpressionParser.projection(text, attributes: &attributes)
    }

    mutating func update(_ text: String?) throws(ShoalError) -> UpdateExpression? {
        guard let text else { return nil }
        return try ExpressionParser.update(text, attributes: &attributes)
    }

    func finish() throws(ShoalError) { try attributes.checkAllUsed() }
}

/// Projection parameters of reads: `ProjectionExpression`, the typed paths, or `AttributesToGet`.
struct ProjectionParameters {
    var expression: String?
    var typed: [DocumentPath]?
    var attributesToGet: [String]?

    func resolve(_ input: inout ExpressionInput) throws(ShoalError) -> [DocumentPath]? {
        if let attributesToGet {
            try LegacyParameters.checkNotMixed(legacy: [("AttributesToGet", true)], expressions: [("ProjectionExpression", expression != nil)])
            return try LegacyParameters.projection(attributesToGet)
        }
        if let parsed = try input.projection(expression) {
            return parsed + (typed ?? [])
        }
        return typed
    }
}

/// DynamoDB's `Select` rules for Query and Scan, given whether a projection was asked for.
enum SelectRule {
    /// - Returns: whether only the count is wanted.
    static func countOnly(_ select: Select?, projection: [DocumentPath]?, usedAttributesToGet: Bool, indexName: String? = nil) throws(ShoalError) -> Bool {
        let parameter = usedAttributesToGet ? "AttributesToGet" : "ProjectionExpression"
        switch select {
        case nil:
            return false
        case .allAttributes?:
            if projection != nil {
                throw .validation("Cannot specify the \(parameter) when choosing to get ALL_ATTRIBUTES")
            }
            return false
        case .allProjectedAttributes?:
            if indexName == nil {
                throw .validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
            }
            return false
        case .specificAttributes?:
            if projection == nil {
                throw .validation("1 validation error detected: Value 'SPECIFIC_ATTRIBUTES' at 'select' requires ProjectionExpression or AttributesToGet")
            }
            return false
        case .count?:
            if projection != nil {
                throw .validation("Cannot specify the \(parameter) when choosing to get only the Count")
            }
            return true
        }
    }
}
