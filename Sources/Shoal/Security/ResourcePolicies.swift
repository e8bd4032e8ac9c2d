import Foundation

/// A resource-based policy as attached: its document (kept exactly as given) and revision.
public struct ResourcePolicyRecord: Sendable, Codable, Equatable {
    public var policy: String
    public var revisionId: String
}

/// The policies attached to a table and to its streams, kept in its definition (and gone with it).
struct AttachedPolicies: Sendable, Codable, Equatable {
    var table: ResourcePolicyRecord?
    /// By stream label.
    var streams: [String: ResourcePolicyRecord] = [:]

    var isEmpty: Bool { table == nil && streams.isEmpty }
}

/// What a policy is attached to: a table, or one of its streams (by label).
public struct PolicyTarget: Sendable, Equatable {
    public var tableName: String
    public var streamLabel: String?

    /// A table ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`) or a stream ARN (`…/stream/LABEL`).
    /// - Throws: a ValidationException for anything else (an index, a backup, a malformed ARN).
    public init(arn: String) throws(ShoalError) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "dynamodb", parts[5].hasPrefix("table/") else {
            throw .validation("Invalid ResourceArn provided as input \(arn)")
        }
        let path = parts[5].dropFirst("table/".count).split(separator: "/", omittingEmptySubsequences: false)
        guard let name = path.first, !name.isEmpty else { throw .validation("Invalid ResourceArn provided as input \(arn)") }
        tableName = String(name)
        switch path.count {
        case 1: streamLabel = nil
        case 3 where path[1] == "stream" && !path[2].isEmpty: streamLabel = String(path[2])
        default:
            throw .validation("Resource-based policies attach to tables and streams only: \(arn)")
        }
    }
}

extension Database {
    /// The policy's byte limit (DynamoDB counts whitespace too).
    public static let maxPolicySize = 20 * 1024

    /// The policy attached to a table or stream, if any.
    /// - Throws: `ResourceNotFoundException` when the table (or stream) does not exist.
    public func resourcePolicy(_ target: PolicyTarget) throws(ShoalError) -> ResourcePolicyRecord? {
        let definition = try policyOwner(target)
        if let label = target.streamLabel { return definition.policies?.streams[label] }
        return definition.policies?.table
    }

    /// Attaches `policy` (already checked by the caller) to a table or stream. The same document
    /// again keeps its revision. `expectedRevisionId`: the current revision, or `NO_POLICY` when
    /// none may be attached yet; otherwise `PolicyNotFoundException`.
    /// - Returns: the revision id.
    public func putResourcePolicy(_ target: PolicyTarget, policy: String, expectedRevisionId: String?) throws(ShoalError) -> String {
        guard policy.utf8.count <= Database.maxPolicySize else {
            throw .validation("Policy size \(policy.utf8.count) exceeds the maximum of \(Database.maxPolicySize) bytes")
        }
        let definition = try policyOwner(target)
        var revision = ""
        _ = try changeDefinition(target.tableName, id: definition.id) { table throws(ShoalError) in
            var policies = table.policies ?? AttachedPolicies()
            let current = target.streamLabel.map { policies.streams[$0] } ?? policies.table
            try Database.checkRevision(expectedRevisionId, current: current, target: target, region: options.region)
            if let current, current.policy == policy {
                revision = current.revisionId
                return
            }
            revision = Database.nextRevision(after: current?.revisionId)
            let record = ResourcePolicyRecord(policy: policy, revisionId: revision)
            if let label = target.streamLabel { policies.streams[label] = record } else { policies.table = record }
            table.policies = policies
        }
        return revision
    }

    /// Removes the policy of a table or stream. - Returns: the removed policy's revision id.
    /// - Throws: `PolicyNotFoundException` when none is attached (or the revision differs).
    public func deleteResourcePolicy(_ target: PolicyTarget, expectedRevisionId: String?) throws(ShoalError) -> String {
        let definition = try policyOwner(target)
        var revision = ""
        _ = try changeDefinition(target.tableName, id: definition.id) { table throws(ShoalError) in
            var policies = table.policies ?? AttachedPolicies()
            let current = target.streamLabel.map { policies.streams[$0] } ?? policies.table
            guard let current else { throw Database.policyNotFound(target, region: options.region) }
            try Database.checkRevision(expectedRevisionId, current: current, target: target, region: options.region)
            revision = current.revisionId
            if let label = target.streamLabel { policies.streams[label] = nil } else { policies.table = nil }
            table.policies = policies.isEmpty ? nil : policies
        }
        return revision
    }

    private func policyOwner(_ target: PolicyTarget) throws(ShoalError) -> TableDefinition {
        guard let definition = lookup(target.tableName)?.definition else {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Table: \(target.tableName) not found")
        }
        if let label = target.streamLabel, definition.stream?.label != label {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Stream: \(label) not found")
        }
        return definition
    }

    static func policyNotFound(_ target: PolicyTarget, region: String) -> ShoalError {
        let arn = "arn:aws:dynamodb:\(region):000000000000:table/\(target.tableName)" + (target.streamLabel.map { "/stream/\($0)" } ?? "")
        return ShoalError(.policyNotFound, "Resource-based policy not found for the provided ResourceArn: \(arn)")
    }

    private static func checkRevision(_ expected: String?, current: ResourcePolicyRecord?, target: PolicyTarget, region: String) throws(ShoalError) {
        guard let expected else { return }
        if expected == "NO_POLICY" {
            guard current == nil else {
                throw ShoalError(.policyNotFound, "A policy is already attached; its revision id is \(current!.revisionId), not NO_POLICY")
            }
            return
        }
        guard let current else { throw policyNotFound(target, region: region) }
        guard current.revisionId == expected else {
            throw ShoalError(.policyNotFound, "The expected revision id \(expected) does not match the current policy's revision id \(current.revisionId)")
        }
    }

    /// Revision ids are the time in milliseconds, always increasing for a resource.
    private static func nextRevision(after previous: String?) -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return String(max(now, (previous.flatMap { Int64($0) } ?? 0) + 1))
    }

    /// The policies of every table and its streams, for the server's authorization (by table name).
    public func attachedPolicies(tableName: String) -> (table: ResourcePolicyRecord?, streams: [String: ResourcePolicyRecord]) {
        guard let policies = lookup(tableName)?.definition.policies else { return (nil, [:]) }
        return (policies.table, policies.streams)
    }
}
