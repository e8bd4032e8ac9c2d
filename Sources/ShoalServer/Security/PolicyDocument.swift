import Shoal

/// A resource-based policy in the IAM policy language, as far as Shoal evaluates it: statements
/// that Allow or Deny `dynamodb:` actions (`*` and `?` wildcards) on the table, its indexes and
/// its streams, to principals named by ARN or account (or `*`). Conditions are not evaluated, so a
/// policy with one is refused rather than half-applied.
struct PolicyDocument: Sendable, Equatable {
    struct Statement: Sendable, Equatable {
        var allow: Bool
        /// Principal ARNs or account ids; `*` is everyone.
        var principals: [String]
        var actions: [String]
        /// True for `NotAction`: the statement covers every action but these.
        var negatedActions: Bool
        var resources: [String]
        var negatedResources: Bool
    }

    var statements: [Statement]

    /// Parses and checks a policy attached to `ownerArn` (a table's or stream's ARN; nil: a stored
    /// policy being evaluated, whose resources were checked when it was attached).
    /// - Throws: a ValidationException saying what is wrong.
    init(_ text: String, ownerArn: String?) throws(ProtocolError) {
        guard text.utf8.count <= Database.maxPolicySize else {
            throw .validation("Policy size \(text.utf8.count) exceeds the maximum of \(Database.maxPolicySize) bytes")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(Array(text.utf8)) } catch { throw .validation("Invalid policy document: not valid JSON: \(error.message)") }
        guard case .object(let members) = json else { throw .validation("Invalid policy document: it must be a JSON object") }
        for (key, _) in members where !["Version", "Id", "Statement"].contains(key) {
            throw .validation("Invalid policy document: unknown member \(key)")
        }
        if let version = json.member("Version") {
            guard let text = version.stringValue, ["2012-10-17", "2008-10-17"].contains(text) else {
                throw .validation("Invalid policy document: Version must be 2012-10-17 or 2008-10-17")
            }
        }
        let list: [JSONValue]
        switch json.member("Statement") {
        case .array(let items)?: list = items
        case .object?: list = [json.member("Statement")!]
        default: throw .validation("Invalid policy document: Statement is missing")
        }
        guard !list.isEmpty else { throw .validation("Invalid policy document: Statement is empty") }
        statements = []
        let tableArn = ownerArn.map(PolicyDocument.tableArn(of:))
        for (index, statement) in list.enumerated() {
            statements.append(try PolicyDocument.statement(statement, number: index + 1, tableArn: tableArn))
        }
    }

    /// `arn:…:table/NAME` of a table's, index's or stream's ARN.
    static func tableArn(of arn: String) -> String {
        guard let range = arn.range(of: ":table/") else { return arn }
        let rest = arn[range.upperBound...]
        return String(arn[..<range.upperBound]) + String(rest.prefix { $0 != "/" })
    }

    private static func strings(_ value: JSONValue?, _ what: String, number: Int) throws(ProtocolError) -> [String]? {
        switch value {
        case nil: return nil
        case .string(let s)?: return [s]
        case .array(let items)?:
            var result: [String] = []
            for item in items {
                guard let s = item.stringValue else { throw .validation("Invalid policy document: Statement \(number): \(what) must be strings") }
                result.append(s)
            }
            guard !result.isEmpty else { throw .validation("Invalid policy document: Statement \(number): \(what) is empty") }
            return result
        default: throw .validation("Invalid policy document: Statement \(number): \(what) must be a string or a list of strings")
        }
    }

    private static func statement(_ json: JSONValue, number: Int, tableArn: String?) throws(ProtocolError) -> Statement {
        guard case .object(let members) = json else { throw .validation("Invalid policy document: Statement \(number) must be an object") }
        for (key, _) in members where !["Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource"].contains(key) {
            if key == "Condition" {
                throw .validation("Invalid policy document: Statement \(number): Condition is not supported by Shoal, which would not evaluate it")
            }
            if key == "NotPrincipal" { throw .validation("Invalid policy document: Statement \(number): NotPrincipal is not supported") }
            throw .validation("Invalid policy document: Statement \(number): unknown member \(key)")
        }
        guard let effect = json.member("Effect")?.stringValue, effect == "Allow" || effect == "Deny" else {
            throw .validation("Invalid policy document: Statement \(number): Effect must be Allow or Deny")
        }
        var principals: [String] = []
        switch json.member("Principal") {
        case .string("*")?: principals = ["*"]
        case .object(let kinds)?:
            for (kind, value) in kinds {
                guard let names = try strings(value, "Principal.\(kind)", number: number) else { continue }
                // Services and federated identities never sign requests with an access key here.
                if kind == "AWS" { principals += names }
            }
        default: throw .validation("Invalid policy document: Statement \(number): a resource-based policy needs a Principal")
        }
        let actions = try strings(json.member("Action"), "Action", number: number)
        let notActions = try strings(json.member("NotAction"), "NotAction", number: number)
        guard (actions == nil) != (notActions == nil) else {
            throw .validation("Invalid policy document: Statement \(number): exactly one of Action and NotAction is required")
        }
        for action in actions ?? notActions! where action != "*" && !action.lowercased().hasPrefix("dynamodb:") {
            throw .validation("Invalid policy document: Statement \(number): action \(action) is not a DynamoDB action")
        }
        let resources = try strings(json.member("Resource"), "Resource", number: number)
        let notResources = try strings(json.member("NotResource"), "NotResource", number: number)
        guard (resources == nil) != (notResources == nil) else {
            throw .validation("Invalid policy document: Statement \(number): exactly one of Resource and NotResource is required")
        }
        if let tableArn {
            for resource in resources ?? notResources! where resource != "*" && !PolicyDocument.sameTable(resource, tableArn) {
                throw .validation("Invalid policy document: Statement \(number): resource \(resource) is not the table \(tableArn), one of its indexes or streams")
            }
        }
        return Statement(allow: effect == "Allow", principals: principals, actions: actions ?? notActions!, negatedActions: notActions != nil,
                         resources: resources ?? notResources!, negatedResources: notResources != nil)
    }

    /// Whether a resource pattern names `tableArn`, one of its indexes or streams (any region).
    static func sameTable(_ pattern: String, _ tableArn: String) -> Bool {
        matchesResource(pattern: PolicyDocument.tableArn(of: pattern), tableArn) || matchesResource(pattern: pattern, tableArn)
    }

    /// A resource pattern against an ARN, the region aside: a Shoal table is one table whatever
    /// region a client's signature names, so a statement binds it in every region.
    static func matchesResource(pattern: String, _ arn: String) -> Bool {
        func withoutRegion(_ text: String) -> String {
            let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6 else { return text }
            return ([parts[0], parts[1], parts[2], parts[4], parts[5]]).joined(separator: ":")
        }
        return matches(pattern: withoutRegion(pattern), withoutRegion(arn))
    }

    /// IAM's wildcard match: `*` any run of characters, `?` one; actions compare case-insensitively.
    static func matches(pattern: String, _ value: String, caseInsensitive: Bool = false) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).utf8)
        let v = Array((caseInsensitive ? value.lowercased() : value).utf8)
        var (pi, vi) = (0, 0)
        var star: Int?
        var mark = 0
        while vi < v.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == v[vi] {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = vi
                pi += 1
            } else if let s = star {
                pi = s + 1
                mark += 1
                vi = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    /// What this policy says of `principal` doing `action` on `resource`: `.deny` when a Deny
    /// statement covers it, else `.allow` when an Allow does, else nil.
    func decision(principal: Principal, action: String, resource: String) -> Bool? {
        var allowed = false
        for statement in statements where statement.covers(principal: principal, action: action, resource: resource) {
            if !statement.allow { return false }
            allowed = true
        }
        return allowed ? true : nil
    }
}

extension PolicyDocument.Statement {
    func covers(principal: Principal, action: String, resource: String) -> Bool {
        let principalMatches = principals.contains { $0 == "*" || $0 == principal.arn || $0 == principal.account
            || $0 == "arn:aws:iam::\(principal.account):root" }
        guard principalMatches else { return false }
        let actionMatches = actions.contains { PolicyDocument.matches(pattern: $0, action, caseInsensitive: true) }
        guard actionMatches != negatedActions else { return false }
        let resourceMatches = resources.contains { PolicyDocument.matchesResource(pattern: $0, resource) }
        return resourceMatches != negatedResources
    }
}

/// Who signed a request: the access key's principal (the credentials file's `principal_arn`, by
/// default the account's root) and its account.
struct Principal: Sendable, Equatable {
    var arn: String
    var account: String

    /// The account the server's resources belong to (their ARNs say 000000000000).
    static let serverAccount = "000000000000"

    init(arn: String?) {
        let arn = arn ?? "arn:aws:iam::\(Principal.serverAccount):root"
        self.arn = arn
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        account = parts.count > 4 ? String(parts[4]) : Principal.serverAccount
    }

    /// A principal of the server's own account: its identity allows everything (as an account
    /// administrator's would); only an explicit Deny stops it.
    var isOwnAccount: Bool { account == Principal.serverAccount }
}
