import Foundation

/// Where a mapping sends the record of a batch it gave up on (`DestinationConfig.OnFailure`).
enum FailureDestination: Sendable, Equatable {
    /// A Shoal table: each failure becomes an item.
    case table(String)
    /// An HTTP(S) endpoint receiving the failure record as a JSON POST.
    case url(String)

    init(_ text: String) throws(ShoalError) {
        if text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text)?.host != nil {
            self = .url(text)
            return
        }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        if parts.count == 6, parts[0] == "arn", parts[2] == "dynamodb", parts[5].hasPrefix("table/") {
            let name = String(parts[5].dropFirst("table/".count))
            if !name.isEmpty, !name.contains("/") {
                self = .table(name)
                return
            }
        }
        throw ShoalError(.invalidParameterValue, "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=\(text))) is invalid. Shoal's on-failure destinations are a table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or an http(s) URL.")
    }
}

/// Lambda's record of a discarded stream batch (its "invocation record" for DynamoDB sources).
struct FailureRecord: Sendable, Codable, Equatable {
    struct RequestContext: Sendable, Codable, Equatable {
        var requestId: String
        var functionArn: String
        /// Why the batch was given up: `RetryAttemptsExhausted` or `RecordAgeExceeded`.
        var condition: String
        var approximateInvokeCount: Int
    }

    struct ResponseContext: Sendable, Codable, Equatable {
        var statusCode: Int
        var executedVersion: String
        var functionError: String?
    }

    struct BatchInfo: Sendable, Codable, Equatable {
        var shardId: String
        var startSequenceNumber: String
        var endSequenceNumber: String
        var approximateArrivalOfFirstRecord: String
        var approximateArrivalOfLastRecord: String
        var batchSize: Int
        var streamArn: String
    }

    var requestContext: RequestContext
    var responseContext: ResponseContext
    var version: String
    var timestamp: String
    var DDBStreamBatchInfo: BatchInfo

    static func timestamp(_ date: Date, fractional: Bool) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.string(from: date)
    }

    init(records: [StreamRecord], condition: String, invokeCount: Int, functionArn: String, shardId: String,
         streamArn: String, functionError: String?, now: Date) {
        requestContext = RequestContext(requestId: UUID().uuidString.lowercased(), functionArn: functionArn,
                                        condition: condition, approximateInvokeCount: invokeCount)
        responseContext = ResponseContext(statusCode: 200, executedVersion: "$LATEST", functionError: functionError)
        version = "1.0"
        timestamp = FailureRecord.timestamp(now, fractional: true)
        DDBStreamBatchInfo = BatchInfo(
            shardId: shardId, startSequenceNumber: records.first?.sequenceNumber ?? "",
            endSequenceNumber: records.last?.sequenceNumber ?? "",
            approximateArrivalOfFirstRecord: FailureRecord.timestamp(records.first?.approximateCreationDateTime ?? now, fractional: false),
            approximateArrivalOfLastRecord: FailureRecord.timestamp(records.last?.approximateCreationDateTime ?? now, fractional: false),
            batchSize: records.count, streamArn: streamArn)
    }

    var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// The record as an item of a destination table: its members as attributes (nested objects as
    /// maps), plus the table's key: the request id as partition key and the timestamp as sort key
    /// (as numbers of milliseconds where the key is numeric).
    func item(for key: PrimaryKey, now: Date) -> Item {
        var item: Item = [:]
        if let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
            for (name, value) in object { if let attribute = FailureRecord.attribute(value) { item[AttributeName(name)] = attribute } }
        }
        let millis = Int(now.timeIntervalSince1970 * 1000)
        item[AttributeName(key.partition.name)] = FailureRecord.keyValue(key.partition.type, text: requestContext.requestId, number: millis)
        if let sort = key.sort {
            item[AttributeName(sort.name)] = FailureRecord.keyValue(sort.type, text: timestamp, number: millis)
        }
        return item
    }

    private static func keyValue(_ type: ScalarAttributeType, text: String, number: Int) -> AttributeValue {
        switch type {
        case .s: return .s(text)
        case .n: return .n(Number(number))
        case .b: return .b(Array(text.utf8))
        }
    }

    private static func attribute(_ value: Any) -> AttributeValue? {
        switch value {
        case let text as String: return text.isEmpty ? nil : .s(text)
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            return (try? Number(number.stringValue)).map { .n($0) }
        case let members as [String: Any]:
            var map: [AttributeName: AttributeValue] = [:]
            for (name, element) in members { if let attribute = attribute(element) { map[AttributeName(name)] = attribute } }
            return .m(map)
        default: return nil
        }
    }
}
