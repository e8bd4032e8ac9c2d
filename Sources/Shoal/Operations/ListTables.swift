public struct ListTablesRequest: Sendable {
    public var exclusiveStartTableName: String?
    public var limit: Int?

    public init(exclusiveStartTableName: String? = nil, limit: Int? = nil) {
        self.exclusiveStartTableName = exclusiveStartTableName
        self.limit = limit
    }
}

public struct ListTablesResponse: Sendable, Equatable {
    public var tableNames: [String]
    public var lastEvaluatedTableName: String?
}

extension Database {
    /// DynamoDB's ListTables: names in ascending order, at most `limit` (1…100, default 100) per page.
    public func listTables(_ request: ListTablesRequest = ListTablesRequest()) throws(ShoalError) -> ListTablesResponse {
        let limit = request.limit ?? 100
        try ConstraintViolations.requireRange(limit, field: "limit", min: 1, max: 100)
        var names = tableNames().sorted()
        if let start = request.exclusiveStartTableName {
            try TableNameRule.validate(start, field: "exclusiveStartTableName")
            names = names.filter { $0 > start }
        }
        let page = Array(names.prefix(limit))
        return ListTablesResponse(tableNames: page, lastEvaluatedTableName: names.count > limit ? page.last : nil)
    }
}
