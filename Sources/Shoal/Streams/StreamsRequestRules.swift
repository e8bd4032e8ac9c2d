/// The DynamoDB Streams model's member rules (lengths, the ARN form, limits), checked before any
/// lookup and reported together in the framework's style, naming each member's path.
struct StreamsRequestRules {
    private var violations = ConstraintViolations()

    /// `StreamArn` and `ExclusiveStartStreamArn`: 37 to 1024 characters, and a DynamoDB stream ARN
    /// (`arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`).
    mutating func streamArn(_ arn: String?, field: String) {
        guard let arn else { return }
        let before = violations.messages.count
        violations.checkLength(arn, field: field, min: 37, max: 1024)
        guard violations.messages.count == before else { return }
        if !StreamsRequestRules.isStreamArn(arn) {
            violations.add("Value '\(arn)' at '\(field)' failed to satisfy constraint: Member must be a DynamoDB stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL)")
        }
    }

    /// `ShardId`, `ExclusiveStartShardId` and `ShardFilter.ShardId`: 28 to 65 characters.
    mutating func shardId(_ id: String?, field: String) {
        guard let id else { return }
        violations.checkLength(id, field: field, min: 28, max: 65)
    }

    /// `SequenceNumber`: 21 to 40 characters.
    mutating func sequenceNumber(_ number: String?) {
        guard let number else { return }
        violations.checkLength(number, field: "sequenceNumber", min: 21, max: 40)
    }

    /// `ShardIterator`: 1 to 2048 characters.
    mutating func shardIterator(_ iterator: String) {
        violations.checkLength(iterator, field: "shardIterator", min: 1, max: 2048)
    }

    /// `TableName` of ListStreams: the table name rule.
    mutating func tableName(_ name: String?) {
        guard let name else { return }
        TableNameRule.check(name, field: "tableName", into: &violations)
    }

    /// `Limit`: 1 through `max`.
    mutating func limit(_ limit: Int?, max: Int) {
        guard let limit, !(1...max).contains(limit) else { return }
        violations.add("Value '\(limit)' at 'limit' failed to satisfy constraint: Member must have value \(limit < 1 ? "greater than or equal to 1" : "less than or equal to \(max)")")
    }

    func throwIfAny() throws(ShoalError) { try violations.throwIfAny() }

    /// Whether a string has the shape of a DynamoDB stream ARN.
    static func isStreamArn(_ arn: String) -> Bool {
        let fields = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "arn", !fields[1].isEmpty, fields[2] == "dynamodb" else { return false }
        let resource = fields[5].split(separator: "/", omittingEmptySubsequences: false)
        guard resource.count == 4, resource[0] == "table", resource[2] == "stream",
              !resource[1].isEmpty, !resource[3].isEmpty else { return false }
        return true
    }
}
