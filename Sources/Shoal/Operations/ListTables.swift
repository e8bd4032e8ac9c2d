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
        guard (1...100).contains(limit) else {
            throw .validation("1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value \(limit < 1 ? "greater than or equal to 1" : "less than or equal to 100")")
        }
        var names = tableNames().sorted()
        if let start = request.exclusiveStartTableName {
            try TableNameRule.validate(start, field: "exclusiveStartTableName")
            names = names.filter { $0 > start }
        }
        let page = Array(names.prefix(limit))
        return ListTablesResponse(tableNames: page, lastEvaluatedTableName: names.count > limit ? page.last : nil)
    }
}
