// What Lambda's event-source-mapping API reads from a client: the first byte picks the input.
// Create and update bodies (every parameter, filter patterns, destinations) against a database
// with a stream, list queries (MaxItems, sealed Markers, filters), and get and delete by UUID.
import Foundation
import FuzzDriver
@testable import Shoal
@testable import ShoalServer

let directory = NSTemporaryDirectory() + "shoal-fuzz-lambda-\(ProcessInfo.processInfo.processIdentifier)"
try? FileManager.default.removeItem(atPath: directory)
var options = DatabaseOptions(shardCount: 2, durability: .noSync)
options.startsBackgroundWork = false
let database = try! Database.open(at: directory, options: options)
var configuration = ServerConfiguration()
configuration.allowedDestinations = ["http://127.0.0.1:9/hooks/"]
let handler = LambdaAPIHandler(database: database, configuration: configuration)

blocking {
    var table = CreateTableRequest(tableName: "Fuzz", partitionKey: ("pk", .s))
    table.streamSpecification = .enabled(.newAndOldImages)
    _ = try? await database.createTable(table)
    database.registerFunction("f", timeout: .seconds(1)) { _ in .success }
}
let streamArn = (try? database.describeTable("Fuzz").table.latestStreamArn) ?? ""

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self).replacingOccurrences(of: "$ARN", with: streamArn)
    switch selector % 4 {
    case 0, 1:
        guard let json = try? JSONParser.parse(Array(text.utf8)), let reader = try? RequestReader(json) else { return }
        let update = selector % 4 == 1
        blocking {
            if update {
                let existing = (try? database.listEventSourceMappings(maxItems: 1).eventSourceMappings.first?.uuid) ?? "none"
                _ = try? await handler.update(existing, reader)
            } else if let created = try? await handler.create(reader), case .object(let members) = created.1,
                      case .string(let uuid)? = members.first(where: { $0.0 == "UUID" })?.1 {
                // Keep the catalog small: every mapping a create makes is deleted again.
                _ = try? await handler.delete(uuid)
            }
        }
    case 2:
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        _ = try? handler.list(query)
    default:
        _ = try? handler.get(text)
        blocking { _ = try? await handler.delete(text) }
    }
}
