// What the Streams API reads from a client: the first byte picks the input. Shard iterator tokens
// as sent (refused unless sealed here), the payload of a sealed iterator (as if the secret
// leaked) with its age checked against extreme clocks, and request bodies for ListStreams,
// DescribeStream, GetShardIterator and GetRecords against a database with a stream.
import Foundation
import FuzzDriver
@testable import Shoal
@testable import ShoalServer

let directory = NSTemporaryDirectory() + "shoal-fuzz-streams-\(ProcessInfo.processInfo.processIdentifier)"
try? FileManager.default.removeItem(atPath: directory)
var options = DatabaseOptions(shardCount: 2, durability: .noSync)
options.startsBackgroundWork = false
let database = try! Database.open(at: directory, options: options)
let operations = StreamOperations(database: database)
let sealer = database.tokens

blocking {
    var table = CreateTableRequest(tableName: "Fuzz", partitionKey: ("pk", .s), sortKey: ("sk", .n))
    table.streamSpecification = .enabled(.newAndOldImages)
    _ = try? await database.createTable(table)
    for i in 0..<5 { try? await database.table("Fuzz").put(["pk": .s("k\(i)"), "sk": .n(Number(i))]) }
}
let streamArn = (try? database.describeTable("Fuzz").table.latestStreamArn) ?? ""

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    switch selector % 4 {
    case 0:
        let token = String(decoding: rest, as: UTF8.self)
        _ = try? ShardIterator(unsealing: token, by: sealer)
        _ = try? database.getRecords(shardIterator: token, limit: 10)
    case 1:
        if let iterator = try? ShardIterator(unsealing: sealer.seal(rest, for: .shardIterator), by: sealer) {
            for now in [Int64.min, -1, 0, Int64(Date().timeIntervalSince1970 * 1000), Int64.max] { try? iterator.checkAge(now: now) }
            _ = try? database.getRecords(shardIterator: iterator.sealed(by: sealer), limit: 10)
        }
    default:
        // A body naming the real stream half the time, so lookups go past "not found".
        var text = String(decoding: rest, as: UTF8.self)
        if selector & 0x10 != 0 { text = text.replacingOccurrences(of: "$ARN", with: streamArn) }
        guard let json = try? JSONParser.parse(Array(text.utf8)), let reader = try? RequestReader(json) else { return }
        switch (selector >> 2) % 4 {
        case 0: _ = try? operations.listStreams(reader)
        case 1: _ = try? operations.describeStream(reader)
        case 2: _ = try? operations.getShardIterator(reader)
        default: _ = try? operations.getRecords(reader, region: "us-east-1")
        }
    }
}
