import AsyncHTTPClient
import Foundation
import NIOCore
import Shoal

/// `shoal triggers`: one line per mapping, from a data directory or a running server.
public enum TriggerListing {
    /// A mapping's listed values, keyed by Lambda's member names (and Shoal's progress).
    public static func row(_ c: EventSourceMappingConfiguration) -> [String: Any] {
        var row: [String: Any] = [
            "UUID": c.uuid, "FunctionName": c.functionName, "State": c.state.rawValue,
            "EventSourceArn": c.eventSourceArn ?? "(waiting for table \(c.tableName ?? "?")'s stream)",
            "LastProcessingResult": c.lastProcessingResult, "RecordsBehind": c.recordsBehind,
            "SecondsBehind": c.secondsBehind, "BatchSize": c.batchSize,
        ]
        if let error = c.lastError { row["LastError"] = error }
        return row
    }

    /// ListEventSourceMappings of a running server.
    public static func fetch(endpoint: String) async throws -> [[String: Any]] {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        var rows: [[String: Any]] = []
        var marker: String?
        repeat {
            var url = base + "/2015-03-31/event-source-mappings/?MaxItems=100"
            if let marker { url += "&Marker=" + (marker.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? marker) }
            let request = HTTPClientRequest(url: url)
            let response = try await DynamoDBClient.http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status.code == 200,
                  let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                  let list = json["EventSourceMappings"] as? [[String: Any]] else {
                throw FunctionError("\(endpoint) answered HTTP \(response.status.code): \(String(decoding: body.readableBytesView.prefix(512), as: UTF8.self))")
            }
            for entry in list {
                let progress = entry["ShoalProgress"] as? [String: Any] ?? [:]
                var row: [String: Any] = [:]
                for key in ["UUID", "State", "EventSourceArn", "LastProcessingResult", "BatchSize"] { row[key] = entry[key] }
                row["FunctionName"] = (entry["FunctionArn"] as? String)?.split(separator: ":").last.map(String.init) ?? "?"
                row["RecordsBehind"] = progress["RecordsBehind"] ?? 0
                row["SecondsBehind"] = progress["SecondsBehind"] ?? 0
                if let error = progress["LastError"] { row["LastError"] = error }
                rows.append(row)
            }
            marker = json["NextMarker"] as? String
        } while marker != nil
        return rows
    }

    public static func render(_ rows: [[String: Any]]) -> String {
        guard !rows.isEmpty else { return "No event source mappings." }
        return rows.map { row in
            var line = "\(row["UUID"] ?? "?")  \(row["FunctionName"] ?? "?")  \(row["State"] ?? "?")  \(row["EventSourceArn"] ?? "?")\n"
            line += "    last result: \(row["LastProcessingResult"] ?? "?")  behind: \(row["RecordsBehind"] ?? 0) records, "
            line += String(format: "%.1f s", (row["SecondsBehind"] as? Double) ?? Double("\(row["SecondsBehind"] ?? 0)") ?? 0)
            if let error = row["LastError"] { line += "\n    last error: \(error)" }
            return line
        }.joined(separator: "\n")
    }
}
