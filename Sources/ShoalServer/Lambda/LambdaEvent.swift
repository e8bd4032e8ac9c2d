import Foundation
import Shoal

/// The event AWS Lambda hands a function for DynamoDB Streams, and the parts of its answer.
enum LambdaEvent {
    /// `{"Records": [...]}`, each record as DynamoDB Streams writes it plus its `eventSourceARN`;
    /// with a tumbling window also `window`, `state`, `shardId`, `eventSourceARN`,
    /// `isFinalInvokeForWindow` and `isWindowTerminatedEarly`.
    static func json(_ batch: TriggerBatch, region: String) -> JSONValue {
        let records: [JSONValue] = batch.records.map { record in
            guard case .object(var members) = StreamOperations.record(record, region: region, lambda: true) else { return .null }
            members.append(("eventSourceARN", .string(batch.eventSourceArn)))
            return .object(members)
        }
        var members: [(String, JSONValue)] = [("Records", .array(records))]
        if let window = batch.window {
            let state = (try? JSONParser.parse(Array(window.state.utf8))) ?? .object([])
            members += [
                ("window", .object([("start", .string(timestamp(window.start))), ("end", .string(timestamp(window.end)))])),
                ("state", state),
                ("shardId", .string(batch.shardId)),
                ("eventSourceARN", .string(batch.eventSourceArn)),
                ("isFinalInvokeForWindow", .bool(window.isFinalInvokeForWindow)),
                ("isWindowTerminatedEarly", .bool(window.isWindowTerminatedEarly)),
            ]
        }
        return .object(members)
    }

    static func bytes(_ batch: TriggerBatch, region: String) -> [UInt8] {
        JSONWriter.encode(json(batch, region: region))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
