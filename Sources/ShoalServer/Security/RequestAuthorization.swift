import Shoal
import Synchronization

/// Resource-based policies enforced on signed requests (`--auth sigv4`): each request is the IAM
/// actions it performs on the resources it names (tables, indexes, streams), and each of those is
/// decided by the policy attached to the table or stream, as IAM decides:
///
/// - an explicit Deny in the policy wins, for every principal, the account's own included;
/// - a principal of the server's account (a key without `principal_arn`, or one in account
///   000000000000) is allowed by its identity, as an account administrator is;
/// - a principal of another account is allowed only by an Allow in the resource's policy.
///
/// Operations on no table (ListTables, CreateTable, admin operations, backups by ARN, job lists)
/// are the server account's alone. GetRecords is allowed with the iterator GetShardIterator gave
/// (that call was checked).
enum RequestAuthorization {
    /// One thing a request does: an action on a resource ARN (nil: an account-level operation).
    struct Access: Equatable {
        var action: String
        var resource: String?
    }

    /// What `operation` with `body` does, in the given region.
    static func accesses(operation: String, body: JSONValue, region: String) -> [Access] {
        func table(_ name: String) -> String {
            name.hasPrefix("arn:") ? name : "arn:aws:dynamodb:\(region):\(Principal.serverAccount):table/\(name)"
        }
        func string(_ key: String) -> String? { body.member(key)?.stringValue }
        let action = "dynamodb:" + operation
        switch operation {
        case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable", "UpdateTable", "DeleteTable",
             "DescribeTimeToLive", "UpdateTimeToLive", "DescribeContinuousBackups", "UpdateContinuousBackups", "CreateBackup",
             "DescribeKinesisStreamingDestination", "EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination",
             "UpdateKinesisStreamingDestination", "DescribeTableReplicaAutoScaling", "UpdateTableReplicaAutoScaling",
             "DescribeContributorInsights", "UpdateContributorInsights":
            guard let name = string("TableName") else { return [Access(action: action, resource: nil)] }
            var resource = table(name)
            if let index = string("IndexName"), operation.hasSuffix("ContributorInsights") { resource += "/index/" + index }
            return [Access(action: action, resource: resource)]
        case "Query", "Scan":
            guard let name = string("TableName") else { return [Access(action: action, resource: nil)] }
            return [Access(action: action, resource: table(name) + (string("IndexName").map { "/index/" + $0 } ?? ""))]
        case "BatchGetItem", "BatchWriteItem":
            guard case .object(let tables)? = body.member("RequestItems") else { return [] }
            return tables.map { Access(action: action, resource: table($0.0)) }
        case "TransactGetItems", "TransactWriteItems":
            guard case .array(let items)? = body.member("TransactItems") else { return [] }
            var accesses: [Access] = []
            for item in items {
                guard case .object(let members) = item, let (kind, detail) = members.first,
                      let name = detail.member("TableName")?.stringValue else { continue }
                let itemAction = switch kind {
                case "Get": "dynamodb:GetItem"
                case "Put": "dynamodb:PutItem"
                case "Update": "dynamodb:UpdateItem"
                case "Delete": "dynamodb:DeleteItem"
                default: "dynamodb:ConditionCheckItem"
                }
                accesses.append(Access(action: itemAction, resource: table(name)))
            }
            return accesses
        case "ExecuteStatement":
            return partiQL(string("Statement"), table: table)
        case "BatchExecuteStatement", "ExecuteTransaction":
            let list = operation == "ExecuteTransaction" ? body.member("TransactStatements") : body.member("Statements")
            guard case .array(let statements)? = list else { return [] }
            return statements.flatMap { partiQL($0.member("Statement")?.stringValue, table: table) }
        case "TagResource", "UntagResource", "ListTagsOfResource", "PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy":
            return [Access(action: action, resource: string("ResourceArn"))]
        case "ExportTableToPointInTime":
            return [Access(action: action, resource: string("TableArn"))]
        case "RestoreTableToPointInTime":
            let source = string("SourceTableArn") ?? string("SourceTableName").map(table)
            return [Access(action: action, resource: source), Access(action: "dynamodb:CreateTable", resource: nil)]
        case "DescribeStream", "GetShardIterator":
            return [Access(action: action, resource: string("StreamArn"))]
        case "GetRecords":
            return []
        default:
            return [Access(action: action, resource: nil)]
        }
    }

    private static func partiQL(_ statement: String?, table: (String) -> String) -> [Access] {
        // A statement that does not parse reaches no data: the operation refuses it itself.
        guard let statement, let access = PartiQLStatementInfo.access(of: statement) else { return [] }
        return [Access(action: access.action, resource: table(access.table) + (access.index.map { "/index/" + $0 } ?? ""))]
    }

    /// Throws AccessDeniedException unless `principal` may do every access.
    static func check(_ accesses: [Access], principal: Principal, database: Database, policies: PolicyCache) throws(ProtocolError) {
        for access in accesses {
            guard let resource = access.resource else {
                if !principal.isOwnAccount { throw denied(principal, access, explicit: false) }
                continue
            }
            let decision = decision(principal: principal, action: access.action, resource: resource, database: database, policies: policies)
            if decision == false { throw denied(principal, access, explicit: true) }
            if decision == nil && !principal.isOwnAccount { throw denied(principal, access, explicit: false) }
        }
    }

    /// What the policy attached to the resource's table (or stream) says; nil when it says nothing.
    static func decision(principal: Principal, action: String, resource: String, database: Database, policies: PolicyCache) -> Bool? {
        guard let target = try? PolicyTarget(arn: PolicyDocument.tableArn(of: resource) + streamSuffix(resource)) else { return nil }
        let attached = database.attachedPolicies(tableName: target.tableName)
        let record = target.streamLabel.map { attached.streams[$0] } ?? attached.table
        guard let record else { return nil }
        guard let document = policies.document(record.policy) else {
            // A stored policy that no longer parses denies rather than allows.
            return false
        }
        return document.decision(principal: principal, action: action, resource: resource)
    }

    /// `/stream/LABEL` of a stream ARN (empty otherwise): a stream's own policy decides for it.
    private static func streamSuffix(_ resource: String) -> String {
        guard let range = resource.range(of: "/stream/") else { return "" }
        return String(resource[range.lowerBound...])
    }

    static func denied(_ principal: Principal, _ access: Access, explicit: Bool) -> ProtocolError {
        let on = access.resource.map { " on resource: \($0)" } ?? ""
        let why = explicit ? "with an explicit deny in a resource-based policy"
            : access.resource == nil ? "because only the server's own account may" : "because no resource-based policy allows the \(access.action) action"
        return ProtocolError(type: ProtocolError.dynamoNamespace + "AccessDeniedException",
                             message: "User: \(principal.arn) is not authorized to perform: \(access.action)\(on) \(why)")
    }
}

/// Parsed policies by their text (one per server), so a request does not parse its table's policy again (at most
/// ``capacity`` kept; the cache empties when full).
final class PolicyCache: Sendable {
    static let capacity = 256
    private let documents = Mutex<[String: PolicyDocument]>([:])

    func document(_ text: String) -> PolicyDocument? {
        if let cached = documents.withLock({ $0[text] }) { return cached }
        guard let parsed = try? PolicyDocument(text, ownerArn: nil) else { return nil }
        documents.withLock { documents in
            if documents.count >= PolicyCache.capacity { documents.removeAll(keepingCapacity: true) }
            documents[text] = parsed
        }
        return parsed
    }
}
