import Foundation
import Testing
@testable import Shoal

@Suite struct FaultInjectionTests {
    @Test func countsTablesProbabilitiesAndErrors() async throws {
        let db = try Database.open(inMemory: DatabaseOptions(shardCount: 1))
        defer { db.close() }
        #expect(!db.hasFaults && db.fault(for: "PutItem", tables: ["T"]) == nil)
        _ = try db.injectFault(FaultSpecification(operation: "PutItem", tableName: "T", error: .throttling, count: 2))
        #expect(db.fault(for: "PutItem", tables: ["Other"]) == nil)
        #expect(db.fault(for: "GetItem", tables: ["T"]) == nil)
        #expect(db.fault(for: "PutItem", tables: ["T"])?.error?.kind == .throttling)
        #expect(db.fault(for: "PutItem", tables: ["T"])?.error?.type == "ThrottlingException")
        #expect(db.fault(for: "PutItem", tables: ["T"]) == nil && !db.hasFaults)
        _ = try db.injectFault(FaultSpecification(operation: "Query", error: .provisionedThroughputExceeded, probability: 0))
        for _ in 0..<100 { #expect(db.fault(for: "Query", tables: ["T"]) == nil) }
        db.clearFaults()
        _ = try db.injectFault(FaultSpecification(operation: "TransactWriteItems", error: .transactionConflict, latency: .milliseconds(5)))
        let fired = db.fault(for: "TransactWriteItems", tables: ["T"], actions: 3)
        #expect(fired?.latency == .milliseconds(5))
        #expect(fired?.error?.cancellationReasons?.map(\.code) == ["TransactionConflict", "TransactionConflict", "TransactionConflict"])
        #expect(db.fault(for: "TransactWriteItems", tables: ["T"]) != nil)
        await expectError(.validation, "Give Count or Probability, not both") {
            _ = try db.injectFault(FaultSpecification(operation: "PutItem", error: .throttling, count: 1, probability: 0.5))
        }
        await expectError(.validation, "A fault needs an Error or a LatencyMillis") {
            _ = try db.injectFault(FaultSpecification(operation: "PutItem", error: nil))
        }
    }
}
