import Foundation
import LMDB

/// One entry of ListStreams.
public struct StreamSummary: Sendable, Equatable {
    public var streamArn: String
    public var tableName: String
    public var streamLabel: String
}

public struct ListStreamsResponse: Sendable, Equatable {
    public var streams: [StreamSummary]
    public var lastEvaluatedStreamArn: String?
}

/// A stream shard: one per storage shard and generation (a reshard starts a new generation).
public struct StreamShard: Sendable, Equatable {
    public var shardId: String
    public var parentShardId: String?
    public var startingSequenceNumber: String
    /// Present once the shard is closed (by a reshard, its stream disabled, or its table deleted).
    public var endingSequenceNumber: String?
}

public enum StreamStatus: String, Sendable {
    case enabled = "ENABLED"
    case disabled = "DISABLED"
}

public struct StreamDescription: Sendable, Equatable {
    public var streamArn: String
    public var streamLabel: String
    public var streamStatus: StreamStatus
    public var streamViewType: StreamViewType
    public var creationRequestDateTime: Date
    public var tableName: String
    public var keySchema: [KeySchemaElement]
    public var shards: [StreamShard]
    public var lastEvaluatedShardId: String?
}

public enum ShardIteratorType: String, Sendable, CaseIterable {
    case trimHorizon = "TRIM_HORIZON"
    case latest = "LATEST"
    case atSequenceNumber = "AT_SEQUENCE_NUMBER"
    case afterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
}

public struct GetRecordsResponse: Sendable, Equatable {
    public var records: [StreamRecord]
    /// Absent when the shard is closed and every record was read.
    public var nextShardIterator: String?
}

/// A position in a stream shard, handed to clients as an opaque token sealed with the
/// directory's secret (``TokenSealer``). It names the stream, the shard (its
/// ``StreamShardRef/ordinal``), the record counter to read after, and when it was issued
/// (iterators expire after 15 minutes, as DynamoDB's do).
struct ShardIterator: Equatable {
    var streamID: String
    var shard: Int
    var after: UInt64
    var issuedMillis: Int64

    static let lifetimeMillis: Int64 = 15 * 60 * 1000
    /// How far in the future an issue time may lie (clock steps) before the token is refused.
    static let skewMillis: Int64 = 60 * 1000

    init(streamID: String, shard: Int, after: UInt64, issuedMillis: Int64) {
        self.streamID = streamID
        self.shard = shard
        self.after = after
        self.issuedMillis = issuedMillis
    }

    func sealed(by sealer: TokenSealer) -> String {
        sealer.seal(Array("1|\(streamID)|\(shard)|\(after)|\(issuedMillis)".utf8), for: .shardIterator)
    }

    /// The iterator a token holds, when this directory sealed it.
    /// - Throws: `ValidationException` "Invalid ShardIterator" for anything else.
    init(unsealing token: String, by sealer: TokenSealer) throws(ShoalError) {
        guard let payload = sealer.open(token, for: .shardIterator) else { throw ShardIterator.invalid }
        let parts = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "1", let shard = Int(parts[2]), shard >= 0, let after = UInt64(parts[3]),
              let issued = Int64(parts[4]) else {
            throw ShardIterator.invalid
        }
        self.init(streamID: String(parts[1]), shard: shard, after: after, issuedMillis: issued)
    }

    static var invalid: ShoalError { .validation("Invalid ShardIterator") }

    /// Whether the iterator is past its lifetime at `now`; one issued implausibly far in the future
    /// is refused as invalid rather than living forever. Overflow-safe for any issue time.
    func checkAge(now: Int64) throws(ShoalError) {
        let (age, overflow) = now.subtractingReportingOverflow(issuedMillis)
        if overflow || age < -ShardIterator.skewMillis { throw ShardIterator.invalid }
        if age > ShardIterator.lifetimeMillis {
            throw ShoalError(.expiredIterator, "Iterator expired. The iterator was created at time \(issuedMillis) while right now it is \(now) which is further in the future than the tolerated delay of \(ShardIterator.lifetimeMillis) milliseconds.")
        }
    }

}

extension Database {
    static let maxGetRecordsLimit = 1000
    static let getRecordsByteLimit = 1 << 20

    /// DynamoDB Streams' ListStreams: every readable stream (newest first per table), optionally
    /// of one table, paged by stream ARN.
    public func listStreams(tableName: String? = nil, limit: Int? = nil, exclusiveStartStreamArn: String? = nil) throws(ShoalError) -> ListStreamsResponse {
        var rules = StreamsRequestRules()
        rules.tableName(tableName)
        rules.limit(limit, max: 100)
        rules.streamArn(exclusiveStartStreamArn, field: "exclusiveStartStreamArn")
        try rules.throwIfAny()
        if let tableName, lookup(tableName) == nil, !streamService.all.contains(where: { $0.definition.tableName == tableName }) {
            throw .tableNotFound(tableName)
        }
        let all = streamService.all
            .filter { tableName == nil || $0.definition.tableName == tableName }
            .sorted { ($0.definition.tableName, -$0.definition.createdAt) < ($1.definition.tableName, -$1.definition.createdAt) }
            .map { StreamSummary(streamArn: $0.definition.arn(region: options.region), tableName: $0.definition.tableName, streamLabel: $0.definition.label) }
        var start = all.startIndex
        if let exclusiveStartStreamArn {
            guard let position = all.firstIndex(where: { $0.streamArn == exclusiveStartStreamArn }) else {
                throw ShoalError(.resourceNotFound, "Requested resource not found: Stream: \(exclusiveStartStreamArn) not found")
            }
            start = position + 1
        }
        let page = Array(all[start...].prefix(limit ?? 100))
        let more = start + page.count < all.count
        return ListStreamsResponse(streams: page, lastEvaluatedStreamArn: more ? page.last?.streamArn : nil)
    }

    /// DynamoDB Streams' DescribeStream: the stream and its shards (one per storage shard and
    /// generation, oldest first; a closed shard whose records all aged out is left out).
    /// - Parameter childShardsOf: `ShardFilter` `CHILD_SHARDS`: only the children of this shard
    ///   (the shards a reshard opened in its place).
    public func describeStream(streamArn: String, limit: Int? = nil, exclusiveStartShardId: String? = nil,
                               childShardsOf parent: String? = nil) throws(ShoalError) -> StreamDescription {
        var rules = StreamsRequestRules()
        rules.streamArn(streamArn, field: "streamArn")
        rules.limit(limit, max: 100)
        rules.shardId(exclusiveStartShardId, field: "exclusiveStartShardId")
        rules.shardId(parent, field: "shardFilter.shardId")
        try rules.throwIfAny()
        let stream = try stream(arn: streamArn)
        var shardList: [StreamShard] = []
        for ref in stream.shards {
            if let shard = try describeShard(stream, ref) { shardList.append(shard) }
        }
        if let parent {
            guard shardList.contains(where: { $0.shardId == parent }) else {
                throw ShoalError(.resourceNotFound, "Requested resource not found: Shard does not exist")
            }
            shardList = shardList.filter { $0.parentShardId == parent }
        }
        var start = 0
        if let exclusiveStartShardId {
            // A start shard that is not (or no longer) in the list is not an error: the page
            // starts after where it would sort (shard ids sort by creation time).
            if let position = shardList.firstIndex(where: { $0.shardId == exclusiveStartShardId }) {
                start = position + 1
            } else {
                start = shardList.firstIndex { $0.shardId > exclusiveStartShardId } ?? shardList.count
            }
        }
        let page = Array(shardList[start...].prefix(limit ?? 100))
        let definition = stream.definition
        return StreamDescription(
            streamArn: streamArn, streamLabel: definition.label, streamStatus: definition.endedAt == nil ? .enabled : .disabled,
            streamViewType: definition.viewType, creationRequestDateTime: Date(timeIntervalSince1970: definition.createdAt),
            tableName: definition.tableName, keySchema: definition.primaryKey.keySchema, shards: page,
            lastEvaluatedShardId: start + page.count < shardList.count ? page.last?.shardId : nil)
    }

    /// DynamoDB Streams' GetShardIterator.
    public func getShardIterator(streamArn: String, shardId: String, type: ShardIteratorType, sequenceNumber: String? = nil) throws(ShoalError) -> String {
        var rules = StreamsRequestRules()
        rules.streamArn(streamArn, field: "streamArn")
        rules.shardId(shardId, field: "shardId")
        rules.sequenceNumber(sequenceNumber)
        try rules.throwIfAny()
        let stream = try stream(arn: streamArn)
        guard let shard = stream.shard(id: shardId) else {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Shard does not exist")
        }
        let after: UInt64
        let horizon = try trimHorizon(stream, shard)
        switch type {
        case .trimHorizon, .latest:
            if sequenceNumber != nil {
                throw .validation("Sequence number is not allowed for shard iterator type \(type.rawValue)")
            }
            after = type == .trimHorizon ? horizon : max(try lastCounter(stream, shard) ?? 0, horizon)
        case .atSequenceNumber, .afterSequenceNumber:
            guard let sequenceNumber else {
                throw .validation("Sequence number must be specified for shard iterator type \(type.rawValue)")
            }
            guard let parsed = StreamRecordCodec.parse(sequenceNumber: sequenceNumber), parsed.shard == shard.index,
                  parsed.counter > 0, shard.holds(parsed.counter) else {
                throw .validation("Invalid SequenceNumber: \(sequenceNumber) for shard \(shardId)")
            }
            after = type == .atSequenceNumber ? parsed.counter - 1 : parsed.counter
            if after < horizon { throw Database.trimmed(horizon: horizon, shard: shard.index) }
        }
        return ShardIterator(streamID: stream.definition.id, shard: shard.ordinal, after: after, issuedMillis: options.clock.epochMillis).sealed(by: tokens)
    }

    /// DynamoDB Streams' GetRecords: up to `limit` (1…1000) records after the iterator's position,
    /// at most 1 MB of them, and the iterator to continue with.
    public func getRecords(shardIterator: String, limit: Int? = nil) throws(ShoalError) -> GetRecordsResponse {
        var rules = StreamsRequestRules()
        rules.shardIterator(shardIterator)
        rules.limit(limit, max: Database.maxGetRecordsLimit)
        try rules.throwIfAny()
        let iterator = try ShardIterator(unsealing: shardIterator, by: tokens)
        try iterator.checkAge(now: options.clock.epochMillis)
        guard let stream = streamHandle(iterator.streamID), let shard = stream.shard(ordinal: iterator.shard) else {
            throw ShoalError(.resourceNotFound, "Requested resource not found: Stream does not exist")
        }
        let page = try readStream(stream, shard: shard, after: iterator.after,
                                  limit: limit ?? Database.maxGetRecordsLimit, byteLimit: Database.getRecordsByteLimit)
        let last = page.last ?? iterator.after
        // A closed shard read to its end has no next iterator.
        let atEnd = page.records.isEmpty || (page.newest ?? 0) <= last
        let next = page.closed && atEnd ? nil : ShardIterator(streamID: iterator.streamID, shard: iterator.shard, after: last, issuedMillis: options.clock.epochMillis).sealed(by: tokens)
        return GetRecordsResponse(records: page.records, nextShardIterator: next)
    }

    // MARK: Helpers

    static func trimmed(horizon: UInt64, shard: Int) -> ShoalError {
        ShoalError(.trimmedDataAccess, "Attempted to access data that has been trimmed: the records up to sequence number \(StreamRecordCodec.sequenceNumber(counter: horizon, shard: shard)) are beyond the retention period")
    }

    func stream(arn: String) throws(ShoalError) -> StreamHandle {
        let found = streamService.all.first { $0.definition.arn(region: options.region) == arn }
        guard let found else { throw ShoalError(.resourceNotFound, "Requested resource not found: Stream: \(arn) not found") }
        return found
    }

    /// A stream shard as DescribeStream shows it; nil for a shard a reshard closed whose records
    /// all aged out.
    private func describeShard(_ stream: StreamHandle, _ ref: StreamShardRef) throws(ShoalError) -> StreamShard? {
        let (first, last) = try counterRange(stream, ref)
        let horizon = try trimHorizon(stream, ref)
        if ref.end != nil, first == nil, horizon > ref.after { return nil }
        // An empty shard starts just after its horizon: a number GetShardIterator accepts.
        let startingCounter = first ?? horizon + 1
        let closed = ref.end != nil || stream.definition.endedAt != nil
        let ending = closed ? StreamRecordCodec.sequenceNumber(counter: last ?? ref.end ?? startingCounter, shard: ref.index) : nil
        return StreamShard(shardId: ref.shardID, parentShardId: ref.parent.flatMap { stream.shard(ordinal: $0)?.shardID },
                           startingSequenceNumber: StreamRecordCodec.sequenceNumber(counter: startingCounter, shard: ref.index),
                           endingSequenceNumber: ending)
    }
}
