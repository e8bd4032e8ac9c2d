/// The parameters Query and Scan share, read the same way for a table and for an index.
extension QueryRequest {
    var readParameters: ReadParameters {
        ReadParameters(
            filterExpression: filterExpression, filter: filter, legacyFilter: queryFilter,
            legacyFilterName: "QueryFilter", conditionalOperator: conditionalOperator,
            projectionExpression: projectionExpression, projection: projection,
            attributesToGet: attributesToGet, select: select)
    }

    /// Legacy parameters and expressions do not mix (KeyConditions combine with
    /// FilterExpression and ProjectionExpression, as in DynamoDB); then the placeholders.
    func expressionInput() throws(ShoalError) -> ExpressionInput {
        try LegacyParameters.checkNotMixed(
            legacy: [("KeyConditions", keyConditions != nil && keyConditionExpression != nil),
                     ("QueryFilter", queryFilter != nil), ("AttributesToGet", attributesToGet != nil),
                     ("ConditionalOperator", conditionalOperator != nil)],
            expressions: [("FilterExpression", filterExpression != nil), ("ProjectionExpression", projectionExpression != nil),
                          ("KeyConditionExpression", keyConditionExpression != nil)])
        return try ExpressionInput(names: expressionAttributeNames, values: expressionAttributeValues,
                                   usesExpressions: keyConditionExpression != nil || readParameters.usesExpressions)
    }
}

extension ScanRequest {
    var readParameters: ReadParameters {
        ReadParameters(
            filterExpression: filterExpression, filter: filter, legacyFilter: scanFilter,
            legacyFilterName: "ScanFilter", conditionalOperator: conditionalOperator,
            projectionExpression: projectionExpression, projection: projection,
            attributesToGet: attributesToGet, select: select)
    }

    /// Legacy parameters and expressions do not mix; then the placeholders.
    func expressionInput() throws(ShoalError) -> ExpressionInput {
        try LegacyParameters.checkNotMixed(
            legacy: [("ScanFilter", scanFilter != nil), ("AttributesToGet", attributesToGet != nil),
                     ("ConditionalOperator", conditionalOperator != nil)],
            expressions: [("FilterExpression", filterExpression != nil), ("ProjectionExpression", projectionExpression != nil)])
        return try ExpressionInput(names: expressionAttributeNames, values: expressionAttributeValues,
                                   usesExpressions: readParameters.usesExpressions)
    }
}

extension PageBudget {
    /// DynamoDB's check of `Limit`.
    static func checkLimit(_ limit: Int?) throws(ShoalError) {
        if let limit, limit < 1 {
            throw .validation("1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
        }
    }
}
