import Foundation
import Testing
@testable import ShoalServer

/// `docs/dynamodb-operations.md` lists every operation with its status: a "yes" the dispatcher
/// does not route, or a routed operation the table does not call "yes", fails here.
@Suite struct OperationTableTests {
    @Test func theDocumentedTableMatchesTheDispatcher() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/dynamodb-operations.md"), encoding: .utf8)
        var statuses: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| operation") && !line.hasPrefix("| ---") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[1].replacingOccurrences(of: "DynamoDB Streams: ", with: "")
            #expect(statuses[name] == nil, "\(name) is listed twice")
            statuses[name] = cells[2]
        }
        let routed = OperationDispatcher.supported.union(OperationDispatcher.streamsSupported)
        let documented = Set(statuses.filter { $0.value == "yes" }.keys)
        #expect(routed.subtracting(documented).sorted() == [], "routed but not documented as yes")
        #expect(documented.subtracting(routed).sorted() == [], "documented as yes but not routed")
        #expect(statuses.count == 57 + 4)
    }
}
