import Foundation
import Shoal

/// DynamoDB's contributor insights operations (UpdateContributorInsights,
/// DescribeContributorInsights, ListContributorInsights) and the recording of the keys each data
/// operation touches. DynamoDB reports the top keys through CloudWatch's GetInsightRuleReport;
/// Shoal reports them through `ShoalAdmin_20261126.GetContributorInsightsReport` and `/metrics`.
struct ContributorInsightsOperations: Sendable {
    let database: Database

    func update(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let index = try r.string("IndexName")
        guard let action = try r.string("ContributorInsightsAction") else {
            throw .validation("1 validation error detected: Value null at 'contributorInsightsAction' failed to satisfy constraint: Member must not be null")
        }
        guard action == "ENABLE" || action == "DISABLE" else {
            throw .validation("1 validation error detected: Value '\(action)' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]")
        }
        let mode = try r.enumeration("ContributorInsightsMode", ContributorInsightsMode.self)
        let description = try engine { () throws(ShoalError) in
            try database.updateContributorInsights(tableName: table, indexName: index, enable: action == "ENABLE", mode: mode)
        }
        var members: [(String, JSONValue)] = [("TableName", .string(description.tableName))]
        if let index { members.append(("IndexName", .string(index))) }
        members.append(("ContributorInsightsStatus", .string(description.status.rawValue)))
        if let mode = description.mode { members.append(("ContributorInsightsMode", .string(mode.rawValue))) }
        return .object(members)
    }

    func describe(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let index = try r.string("IndexName")
        let description = try engine { () throws(ShoalError) in try database.describeContributorInsights(tableName: table, indexName: index) }
        var members: [(String, JSONValue)] = [("TableName", .string(description.tableName))]
        if let index { members.append(("IndexName", .string(index))) }
        if !description.ruleList.isEmpty { members.append(("ContributorInsightsRuleList", .array(description.ruleList.map { .string($0) }))) }
        members.append(("ContributorInsightsStatus", .string(description.status.rawValue)))
        if let updated = description.lastUpdateDateTime {
            members.append(("LastUpdateDateTime", .number(String(format: "%.3f", updated.timeIntervalSince1970))))
        }
        if let mode = description.mode { members.append(("ContributorInsightsMode", .string(mode.rawValue))) }
        return .object(members)
    }

    func list(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try r.string("TableName")
        let limit = try r.int("MaxResults") ?? 100
        try engine { () throws(ShoalError) in try ConstraintViolations.requireRange(limit, field: "maxResults", min: 1, max: 100) }
        let all = try engine { () throws(ShoalError) in try database.listContributorInsights(tableName: table) }
        let page = try ListPage(all, limit: limit, token: try r.string("NextToken"), database: database) { $0.tableName + "\u{0}" + ($0.indexName ?? "") }
        var members: [(String, JSONValue)] = [("ContributorInsightsSummaries", .array(page.entries.map { d in
            var summary: [(String, JSONValue)] = [("TableName", .string(d.tableName))]
            if let index = d.indexName { summary.append(("IndexName", .string(index))) }
            summary.append(("ContributorInsightsStatus", .string(d.status.rawValue)))
            if let mode = d.mode { summary.append(("ContributorInsightsMode", .string(mode.rawValue))) }
            return .object(summary)
        }))]
        if let next = page.nextToken { members.append(("NextToken", .string(next))) }
        return .object(members)
    }

    /// `ShoalAdmin_20261126.GetContributorInsightsReport {"TableName", "IndexName", "Rule": "PKC|PKT|SKC|SKT",
    /// "Minutes", "MaxContributorCount"}`: the top keys, shaped like CloudWatch's GetInsightRuleReport.
    func report(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let table = try r.requiredString("TableName")
        let index = try r.string("IndexName")
        let ruleName = try r.string("Rule") ?? "PKC"
        guard let rule = ContributorRule(rawValue: ruleName) else { throw .validation("Rule must be one of PKC, PKT, SKC, SKT") }
        let minutes = try r.int("Minutes") ?? 15
        let limit = try r.int("MaxContributorCount") ?? 10
        guard (1...15).contains(minutes), (1...100).contains(limit) else {
            throw .validation("Minutes is 1 to 15 and MaxContributorCount 1 to 100")
        }
        let top = try engine { () throws(ShoalError) in
            try database.contributors(tableName: table, indexName: index, rule: rule, minutes: minutes, limit: limit)
        }
        return .object([
            ("Rule", .string(rule.rawValue)),
            ("Contributors", .array(top.map { contributor in
                .object([
                    ("Keys", .array(contributor.keys.map { AttributeValueJSON.encode($0) })),
                    ("ApproximateAggregateValue", .number(String(contributor.count))),
                    ("MaximumError", .number(String(contributor.error))),
                ])
            })),
        ])
    }
}

/// Feeds contributor insights from the requests and answers of data operations (only for the
/// tables and indexes that have it on: one dictionary lookup otherwise).
enum ContributorRecording {
    /// - Parameter throttled: the request was throttled (enforced capacity): its keys count as
    ///   throttled keys (Query and Scan, whose keys are not known without running them, are not counted).
    static func record(_ database: Database, operation: String, body: JSONValue, response: JSONValue, throttled: Bool = false) {
        func enabled(_ table: String) -> Bool { database.hasContributorInsights(tableName: table) }
        func items(_ values: [JSONValue]) -> [Item] {
            values.compactMap { value in
                if case .item(let lazy) = value { return lazy.dictionary }
                return try? AttributeValueJSON.decodeItem(value, field: "Item")
            }
        }
        switch operation {
        case "GetItem", "DeleteItem", "UpdateItem", "PutItem":
            guard let table = body.member("TableName")?.stringValue, enabled(table),
                  let key = body.member(operation == "PutItem" ? "Item" : "Key") else { return }
            database.recordContributors(tableName: table, items: items([key]), throttled: throttled)
        case "Query", "Scan":
            guard !throttled, let table = body.member("TableName")?.stringValue, enabled(table), case .array(let found)? = response.member("Items") else { return }
            database.recordContributors(tableName: table, indexName: body.member("IndexName")?.stringValue, items: items(found))
        case "BatchGetItem", "BatchWriteItem":
            guard case .object(let tables)? = body.member("RequestItems") else { return }
            for (table, request) in tables where enabled(table) {
                var keys: [JSONValue] = []
                if case .array(let listed)? = request.member("Keys") { keys = listed }
                if case .array(let writes) = request {
                    keys = writes.compactMap { $0.member("PutRequest")?.member("Item") ?? $0.member("DeleteRequest")?.member("Key") }
                }
                database.recordContributors(tableName: table, items: items(keys), throttled: throttled)
            }
        case "TransactGetItems", "TransactWriteItems":
            guard case .array(let actions)? = body.member("TransactItems") else { return }
            for action in actions {
                guard case .object(let members) = action, let detail = members.first?.1,
                      let table = detail.member("TableName")?.stringValue, enabled(table),
                      let key = detail.member("Key") ?? detail.member("Item") else { continue }
                database.recordContributors(tableName: table, items: items([key]), throttled: throttled)
            }
        default:
            return
        }
    }
}
