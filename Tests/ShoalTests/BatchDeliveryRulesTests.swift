import Foundation
import Testing
@testable import Shoal

/// Lambda's delivery rules for one batch, driven by scripted invocation results: no function,
/// no clock, no stream.
@Suite struct BatchDeliveryRulesTests {
    typealias Rules = BatchDeliveryRules
    typealias Result = BatchDeliveryRules.InvocationResult

    static func records(_ count: Int) -> [StreamRecord] {
        (1...count).map { i in
            StreamRecord(eventID: "e\(i)", eventName: .insert, sequenceNumber: "s\(i)", approximateCreationDateTime: Date(),
                         keys: ["pk": .s("k\(i)")], newImage: nil, oldImage: nil, sizeBytes: 10, streamViewType: .keysOnly)
        }
    }

    /// Runs the rules to the end, answering each invocation from `results` in order (success once
    /// they run out). - Returns: every action, with the records of invoke and discard as sequence numbers.
    static func run(_ rules: inout Rules, _ results: [Result], expired: Set<String> = []) -> [String] {
        var results = results[...]
        var log: [String] = []
        for _ in 0..<1000 {
            let action = rules.next { expired.contains($0.sequenceNumber) }
            switch action {
            case let .invoke(records, window):
                log.append("invoke \(records.map(\.sequenceNumber).joined(separator: ","))" + (window.map { " state \($0.state)" } ?? ""))
                rules.invoked(results.popFirst() ?? .success(state: nil))
            case let .discard(records, condition, invocations, functionError, _):
                log.append("discard \(records.map(\.sequenceNumber).joined(separator: ",")) \(condition) after \(invocations)" + (functionError.map { " \($0)" } ?? ""))
            case .backoff(let retries):
                log.append("backoff \(retries)")
            case .status(.succeeded):
                log.append("succeeded")
            case let .status(.failed(result, error)):
                log.append("failed \(result): \(error)")
            case .status(.problem(let message)):
                log.append("problem \(message)")
            case .done(let state):
                log.append("done" + (state.map { " \($0)" } ?? ""))
                return log
            }
        }
        Issue.record("the rules never finished")
        return log
    }

    static func rules(_ count: Int, retries: Int = 2, bisect: Bool = false, window: TumblingWindow? = nil) -> Rules {
        Rules(batch: records(count), window: window, settings: .init(maximumRetryAttempts: retries, bisectBatchOnFunctionError: bisect))
    }

    @Test func aBatchTheFunctionTakesIsDoneAfterOneInvocation() {
        var rules = Self.rules(3)
        #expect(Self.run(&rules, []) == ["invoke s1,s2,s3", "succeeded", "done"])
    }

    @Test func functionErrorsAreRetriedWithGrowingBackoffThenDiscarded() {
        var rules = Self.rules(2, retries: 2)
        let log = Self.run(&rules, Array(repeating: .functionError("boom"), count: 3))
        #expect(log == ["invoke s1,s2", "failed PROBLEM: Function call failed: boom", "backoff 0",
                        "invoke s1,s2", "failed PROBLEM: Function call failed: boom", "backoff 1",
                        "invoke s1,s2", "failed PROBLEM: Function call failed: boom",
                        "discard s1,s2 RetryAttemptsExhausted after 3 Unhandled", "done"])
    }

    @Test func withoutARetryLimitAFailingBatchIsRetriedUntilItSucceeds() {
        var rules = Self.rules(1, retries: -1)
        let log = Self.run(&rules, Array(repeating: .functionError("boom"), count: 5))
        #expect(log.filter { $0.hasPrefix("invoke") }.count == 6)
        #expect(log.suffix(2) == ["succeeded", "done"])
        #expect(!log.contains { $0.hasPrefix("discard") })
    }

    @Test func bisectionSplitsAFailingBatchWithoutUsingARetry() {
        var rules = Self.rules(4, retries: 0, bisect: true)
        let log = Self.run(&rules, [.functionError("bad record"), .success(state: nil), .functionError("bad record"), .functionError("bad record")])
        #expect(log == ["invoke s1,s2,s3,s4", "failed PROBLEM: Function call failed: bad record",
                        "invoke s1,s2", "succeeded",
                        "invoke s3,s4", "failed PROBLEM: Function call failed: bad record",
                        "invoke s3", "failed PROBLEM: Function call failed: bad record",
                        "discard s3 RetryAttemptsExhausted after 3 Unhandled",
                        "invoke s4", "succeeded", "done"])
    }

    @Test func aPartialFailureResumesFromTheLowestFailedRecord() {
        var rules = Self.rules(4, retries: 1)
        let log = Self.run(&rules, [.partial(from: 2, state: nil), .partial(from: 1, state: nil)])
        #expect(log == ["invoke s1,s2,s3,s4", "failed OK: The function reported 2 failed records from sequence number s3", "backoff 0",
                        "invoke s3,s4", "failed OK: The function reported 1 failed records from sequence number s4",
                        "discard s4 RetryAttemptsExhausted after 2 Unhandled", "done"])
    }

    @Test func expiredRecordsAreDiscardedBeforeAnyInvocation() {
        var rules = Self.rules(3)
        #expect(Self.run(&rules, [], expired: ["s1", "s2"]) == ["discard s1,s2 RecordAgeExceeded after 0", "invoke s3", "succeeded", "done"])
        var allExpired = Self.rules(2)
        #expect(Self.run(&allExpired, [], expired: ["s1", "s2"]) == ["discard s1,s2 RecordAgeExceeded after 0", "done"])
    }

    @Test func anUnavailableFunctionIsRetriedWithoutUsingRetryAttempts() {
        var rules = Self.rules(1, retries: 0)
        let log = Self.run(&rules, [.unavailable("no runtime client"), .unavailable("no runtime client"), .success(state: nil)])
        #expect(log == ["invoke s1", "problem no runtime client", "backoff 0",
                        "invoke s1", "problem no runtime client", "backoff 1",
                        "invoke s1", "succeeded", "done"])
    }

    @Test func aTumblingWindowCarriesItsStateAndItsFinalInvocationIsNeverGivenUp() {
        let start = Date(timeIntervalSince1970: 0)
        let open = TumblingWindow(start: start, end: start.addingTimeInterval(60), state: "{}", isFinalInvokeForWindow: false, isWindowTerminatedEarly: false)
        var rules = Self.rules(2, window: open)
        // Bisection does not apply inside a window; the state returned last is kept.
        let log = Self.run(&rules, [.functionError("boom"), .success(state: #"{"n":2}"#)])
        #expect(log == ["invoke s1,s2 state {}", "failed PROBLEM: Function call failed: boom", "backoff 0",
                        "invoke s1,s2 state {}", "succeeded", #"done {"n":2}"#])
        var final = open
        final.isFinalInvokeForWindow = true
        final.state = #"{"n":2}"#
        var closing = Rules(batch: [], window: final, settings: .init(maximumRetryAttempts: 0, bisectBatchOnFunctionError: true))
        let closingLog = Self.run(&closing, [.functionError("boom"), .functionError("boom")])
        #expect(closingLog == [#"invoke  state {"n":2}"#, "failed PROBLEM: Function call failed: boom", "backoff 0",
                               #"invoke  state {"n":2}"#, "failed PROBLEM: Function call failed: boom", "backoff 1",
                               #"invoke  state {"n":2}"#, "succeeded", "done"])
    }
}
