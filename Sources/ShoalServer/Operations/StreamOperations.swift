import Foundation
import Shoal

/// DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords.
struct StreamOperations: Sendable {
    let database: Database

    func listStreams(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let tableName = try r.string("TableName")
        let limit = try r.int("Limit")
        let start = try r.string("ExclusiveStartStreamArn")
        let result = try engine { () throws(ShoalError) in try database.listStreams(tableName: tableName, limit: limit, exclusiveStartStreamArn: start) }
        var members: [(String, JSONValue)] = [("Streams", .array(result.streams.map {
            .object([("StreamArn", .string($0.streamArn)), ("TableName", .string($0.tableName)), ("StreamLabel", .string($0.streamLabel))])
        }))]
        if let last = result.lastEvaluatedStreamArn { members.append(("LastEvaluatedStreamArn", .string(last))) }
        return .object(members)
    }

    func describeStream(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("StreamArn")
        let limit = try r.int("Limit")
        let start = try r.string("ExclusiveStartShardId")
        var parent: String?
        if let filter = try r.object("ShardFilter") {
            guard try filter.string("Type") == "CHILD_SHARDS" else {
                throw .validation("1 validation error detected: Value '\(try filter.string("Type") ?? "null")' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]")
            }
            parent = try filter.requiredString("ShardId")
        }
        let d = try engine { () throws(ShoalError) in
            try database.describeStream(streamArn: arn, limit: limit, exclusiveStartShardId: start, childShardsOf: parent)
        }
        var members: [(String, JSONValue)] = [
            ("StreamArn", .string(d.streamArn)),
            ("StreamLabel", .string(d.streamLabel)),
            ("StreamStatus", .string(d.streamStatus.rawValue)),
            ("StreamViewType", .string(d.streamViewType.rawValue)),
            ("CreationRequestDateTime", .number(String(format: "%.3f", d.creationRequestDateTime.timeIntervalSince1970))),
            ("TableName", .string(d.tableName)),
            ("KeySchema", ResponseJSON.keySchema(d.keySchema)),
            ("Shards", .array(d.shards.map { shard in
                var range: [(String, JSONValue)] = [("StartingSequenceNumber", .string(shard.startingSequenceNumber))]
                if let ending = shard.endingSequenceNumber { range.append(("EndingSequenceNumber", .string(ending))) }
                var members: [(String, JSONValue)] = [("ShardId", .string(shard.shardId)), ("SequenceNumberRange", .object(range))]
                if let parent = shard.parentShardId { members.append(("ParentShardId", .string(parent))) }
                return .object(members)
            })),
        ]
        if let last = d.lastEvaluatedShardId { members.append(("LastEvaluatedShardId", .string(last))) }
        return .object([("StreamDescription", .object(members))])
    }

    func getShardIterator(_ r: RequestReader) throws(ProtocolError) -> JSONValue {
        let arn = try r.requiredString("StreamArn")
        let shardId = try r.requiredString("ShardId")
        guard let type = try r.enumeration("ShardIteratorType", ShardIteratorType.self) else {
            throw .validation("1 validation error detected: Value null at 'shardIteratorType' failed to satisfy constraint: Member must not be null")
        }
        let sequence = try r.string("SequenceNumber")
        let iterator = try engine { () throws(ShoalError) in
            try database.getShardIterator(streamArn: arn, shardId: shardId, type: type, sequenceNumber: sequence)
        }
        return .object([("ShardIterator", .string(iterator))])
    }

    func getRecords(_ r: RequestReader, region: String) throws(ProtocolError) -> JSONValue {
        let iterator = try r.requiredString("ShardIterator")
        let limit = try r.int("Limit")
        let result = try engine { () throws(ShoalError) in try database.getRecords(shardIterator: iterator, limit: limit) }
        var members: [(String, JSONValue)] = [("Records", .array(result.records.map { StreamOperations.record($0, region: region) }))]
        if let next = result.nextShardIterator { members.append(("NextShardIterator", .string(next))) }
        return .object(members)
    }

    /// One record as DynamoDB Streams (and Lambda's DynamoDB event) writes it.
    /// `lambda`: as Lambda's DynamoDB event spells it (`userIdentity` members in lower camel case,
    /// where GetRecords has `Type` and `PrincipalId`).
    static func record(_ record: StreamRecord, region: String, lambda: Bool = false) -> JSONValue {
        var dynamodb: [(String, JSONValue)] = [
            ("ApproximateCreationDateTime", .number(String(Int64(record.approximateCreationDateTime.timeIntervalSince1970)))),
            ("Keys", .item(record.keys)),
        ]
        if let image = record.newImage { dynamodb.append(("NewImage", .item(image))) }
        if let image = record.oldImage { dynamodb.append(("OldImage", .item(image))) }
        dynamodb += [
            ("SequenceNumber", .string(record.sequenceNumber)),
            ("SizeBytes", .number(String(record.sizeBytes))),
            ("StreamViewType", .string(record.streamViewType.rawValue)),
        ]
        var members: [(String, JSONValue)] = [
            ("eventID", .string(record.eventID)),
            ("eventName", .string(record.eventName.rawValue)),
            ("eventVersion", .string("1.1")),
            ("eventSource", .string("aws:dynamodb")),
            ("awsRegion", .string(region)),
            ("dynamodb", .object(dynamodb)),
        ]
        if let identity = record.userIdentity {
            members.append(("userIdentity", .object([(lambda ? "type" : "Type", .string(identity.type)),
                                                     (lambda ? "principalId" : "PrincipalId", .string(identity.principalId))])))
        }
        return .object(members)
    }
}
