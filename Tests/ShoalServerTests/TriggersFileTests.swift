import Foundation
import Testing
@testable import Shoal
@testable import ShoalServer

@Suite struct TriggersFileTests {
    @Test func readsFunctionsAndMappingsWithLambdasNames() throws {
        let file = try TriggersFile.parse("""
        Functions:
          orders-handler:
            RuntimeApi: 127.0.0.1:9001
            Timeout: 30
          audit:
            Webhook: http://127.0.0.1:7000/hook
        EventSourceMappings:
          - FunctionName: audit
            Table: Orders
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            FilterCriteria: {Filters: [{Pattern: '{"eventName": ["REMOVE"]}'}, {Pattern: {dynamodb: {Keys: {id: {S: [{prefix: "a"}]}}}}}]}
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig: {OnFailure: {Destination: "arn:aws:dynamodb:us-east-1:000000000000:table/Failures"}}
          - FunctionName: orders-handler
            EventSourceArn: arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/2026-01-01T00:00:00.000
            StartingPosition: LATEST
            ParallelizationFactor: 4
            Enabled: false
        """)
        #expect(file.functions == [
            .init(name: "audit", kind: .webhook(url: "http://127.0.0.1:7000/hook"), timeout: 3),
            .init(name: "orders-handler", kind: .runtimeAPI(host: "127.0.0.1", port: 9001), timeout: 30),
        ])
        #expect(file.mappings.count == 2)
        let first = file.mappings[0]
        #expect(first.table == "Orders" && first.eventSourceArn == nil && first.startingPosition == .trimHorizon)
        #expect(first.parameters.batchSize == 10)
        #expect(first.parameters.functionResponseTypes == [.reportBatchItemFailures])
        #expect(first.parameters.onFailureDestination == "arn:aws:dynamodb:us-east-1:000000000000:table/Failures")
        let patterns = try #require(first.parameters.filterCriteria?.patterns)
        #expect(patterns[0] == #"{"eventName": ["REMOVE"]}"#)
        // A pattern written as YAML becomes the same JSON.
        let parsed = try JSONSerialization.jsonObject(with: Data(patterns[1].utf8)) as? [String: Any]
        #expect(((parsed?["dynamodb"] as? [String: Any])?["Keys"] as? [String: Any]) != nil)
        #expect(file.mappings[1].parameters.parallelizationFactor == 4 && file.mappings[1].parameters.enabled == false)
    }

    @Test func problemsSayWhereTheyAre() {
        let cases: [(String, String)] = [
            ("Functions: 3", "Functions must map function names to their settings"),
            ("Functions:\n  f:\n    Webhook: ftp://x\n", "Functions.f.Webhook must be an http:// or https:// URL"),
            ("Functions:\n  f:\n    RuntimeApi: nowhere\n", "Functions.f.RuntimeApi must be a port (on loopback) or host:port (for example 9001 or 127.0.0.1:9001)"),
            ("Functions:\n  f: {}\n", "Functions.f needs exactly one of Webhook (a URL) and RuntimeApi (host:port)"),
            ("Functions:\n  f:\n    RuntimeApi: 70000\n", "Functions.f needs exactly one of Webhook (a URL) and RuntimeApi (host:port)"),
            ("Functions:\n  f:\n    Webhook: http://h/x\n    Timeout: 0\n", "Functions.f.Timeout must be between 1 and 900 seconds"),
            ("Functions:\n  f:\n    Webhook: http://h/x\n    Memory: 3\n", "Functions.f: unknown member Memory (expected one of RuntimeApi, Timeout, Webhook)"),
            ("Functions:\n  f:\n    Webhook: http://h/x\nEventSourceMappings:\n  - FunctionName: g\n    Table: T\n    StartingPosition: LATEST\n",
             "EventSourceMappings[0].FunctionName g is not declared under Functions"),
            ("Functions:\n  f:\n    Webhook: http://h/x\nEventSourceMappings:\n  - FunctionName: f\n    StartingPosition: LATEST\n",
             "EventSourceMappings[0] needs exactly one of Table and EventSourceArn"),
            ("Functions:\n  f:\n    Webhook: http://h/x\nEventSourceMappings:\n  - FunctionName: f\n    Table: T\n",
             "EventSourceMappings[0].StartingPosition is required (TRIM_HORIZON or LATEST)"),
            ("Functions:\n  f:\n    Webhook: http://h/x\nEventSourceMappings:\n  - FunctionName: f\n    Table: T\n    StartingPosition: LATEST\n    BatchSize: many\n",
             "EventSourceMappings[0].BatchSize must be a whole number"),
            ("Tables: []", "the file: unknown member Tables (expected one of EventSourceMappings, Functions)"),
            // A tagged key crashed Yams' own constructor (found by FuzzTriggers); ours takes it as a name.
            ("Functions:\n  f:\n    Webhook: http://h/x\nEventSourceMappings:\n  - FunctionName: f\n    Table: T\n    StartingPosition: LATEST\n    FilterCriteria: {Filters: [{!attern: {eventName: [REMOVE]}}]}\n",
             "mapping keys must be plain names"),
            // A sexagesimal integer trapped in Yams' constructor (found by FuzzTriggers).
            ("Functions:\n  f:\n    Webhook: http://h/x\n    Timeout: 10165892596237791 55:7\n", "Functions.f.Timeout must be a whole number"),
            ("Functions:\n  f:\n    Webhook: http://h/x\n    Timeout: 1016589259623779155:7\n", "Functions.f.Timeout must be a whole number"),
            ("Functions: " + String(repeating: "[", count: 70) + "1" + String(repeating: "]", count: 70), "the file nests deeper than 64 levels"),
        ]
        // Aliases repeat nodes (a billion laughs grows exponentially): refused.
        let laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
        #expect(throws: TriggersFile.Problem.self) { _ = try TriggersFile.parse(laughs) }
        for (text, message) in cases {
            do {
                _ = try TriggersFile.parse(text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)" == message, "\(text)")
            }
        }
    }
}
