import Shoal

/// DynamoDB's resource-based policy operations: PutResourcePolicy, GetResourcePolicy and
/// DeleteResourcePolicy, on tables and streams (enforced under `--auth sigv4`; see
/// ``RequestAuthorization``).
extension TableOperations {
    func putResourcePolicy(_ r: RequestReader, _ context: OperationContext) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("ResourceArn")
        let policy = try r.requiredString("Policy")
        let expected = try r.string("ExpectedRevisionId")
        let target = try engine { () throws(ShoalError) in try PolicyTarget(arn: arn) }
        let document = try PolicyDocument(policy, ownerArn: arn)
        // A policy that would deny its own author the next PutResourcePolicy needs a confirmation.
        if let principal = context.principal, document.decision(principal: principal, action: "dynamodb:PutResourcePolicy", resource: arn) == false,
           try r.bool("ConfirmRemoveSelfResourceAccess") != true {
            throw .validation("The policy would deny you dynamodb:PutResourcePolicy on \(arn): set ConfirmRemoveSelfResourceAccess to true to attach it anyway")
        }
        let revision = try engine { () throws(ShoalError) in try database.putResourcePolicy(target, policy: policy, expectedRevisionId: expected) }
        return .object([("RevisionId", .string(revision))])
    }

    func getResourcePolicy(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("ResourceArn")
        let record = try engine { () throws(ShoalError) -> ResourcePolicyRecord in
            let target = try PolicyTarget(arn: arn)
            guard let record = try database.resourcePolicy(target) else {
                throw ShoalError(.policyNotFound, "Resource-based policy not found for the provided ResourceArn: \(arn)")
            }
            return record
        }
        return .object([("Policy", .string(record.policy)), ("RevisionId", .string(record.revisionId))])
    }

    func deleteResourcePolicy(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("ResourceArn")
        let expected = try r.string("ExpectedRevisionId")
        let revision = try engine { () throws(ShoalError) in try database.deleteResourcePolicy(try PolicyTarget(arn: arn), expectedRevisionId: expected) }
        return .object([("RevisionId", .string(revision))])
    }
}
