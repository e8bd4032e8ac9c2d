import Foundation
import Testing
@testable import Shoal
@testable import ShoalServer

/// A Runtime API client that goes away is gone: its place in the queue is given up, an invocation
/// that never reached it goes back to the queue uncounted, and waiting clients are bounded.
@Suite struct RuntimeAPIFunctionTests {
    private func batch(_ id: String) -> TriggerBatch {
        TriggerBatch(records: [], functionName: "f", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
                     eventSourceArn: "arn", shardId: "s", window: nil, deadline: Date().addingTimeInterval(30), requestID: id)
    }

    private func handout(_ outcome: RuntimeAPIFunction.PollOutcome) -> RuntimeAPIFunction.Handout? {
        if case .handout(let handout) = outcome { return handout }
        return nil
    }

    @Test func anInvocationThatNeverReachedItsClientIsHandedOutAgain() async throws {
        let function = RuntimeAPIFunction(name: "f", timeout: .seconds(30), region: "us-east-1")
        let invocation = Task { try await function.invoke(batch("req-1")) }
        let first = try #require(handout(await function.next()))
        #expect(first.id == "req-1")
        // Its connection was gone: back to the queue, and the next client gets the same invocation.
        function.requeue(first.id)
        #expect(!function.respond("req-1", body: Array("{}".utf8)))
        let second = try #require(handout(await function.next()))
        #expect(second.id == "req-1" && second.event == first.event)
        #expect(function.respond("req-1", body: Array("{\"batchItemFailures\":[]}".utf8)))
        #expect(try await invocation.value == TriggerResponse(batchItemFailures: []))
    }

    @Test func aRequeueGoesStraightToAWaitingClient() async throws {
        let function = RuntimeAPIFunction(name: "f", timeout: .seconds(30), region: "us-east-1")
        let invocation = Task { try await function.invoke(batch("req-2")) }
        let first = try #require(handout(await function.next()))
        let waiting = Task { await function.next() }
        try await Task.sleep(for: .milliseconds(50))
        function.requeue(first.id)
        #expect(handout(await waiting.value)?.id == "req-2")
        #expect(function.respond("req-2", body: Array("{}".utf8)))
        _ = try await invocation.value
    }

    @Test func aClientThatLeftKeepsNoPlaceAndSwallowsNothing() async throws {
        let function = RuntimeAPIFunction(name: "f", timeout: .seconds(30), region: "us-east-1")
        let gone = Task { await function.next() }
        try await Task.sleep(for: .milliseconds(50))
        gone.cancel()
        guard case .cancelled = await gone.value else { Issue.record("a cancelled poll was answered"); return }
        // The invocation waits for the next client instead of going to the one that left.
        let invocation = Task { try await function.invoke(batch("req-3")) }
        try await Task.sleep(for: .milliseconds(50))
        let next = try #require(handout(await function.next()))
        #expect(next.id == "req-3")
        #expect(function.respond("req-3", body: Array("{}".utf8)))
        _ = try await invocation.value
    }

    @Test func waitingClientsAreBounded() async throws {
        let function = RuntimeAPIFunction(name: "f", timeout: .seconds(30), region: "us-east-1")
        var waiting: [Task<RuntimeAPIFunction.PollOutcome, Never>] = []
        for _ in 0..<RuntimeAPIFunction.maxPollers { waiting.append(Task { await function.next() }) }
        for _ in 0..<500 where function.waitingPollers < RuntimeAPIFunction.maxPollers { try await Task.sleep(for: .milliseconds(10)) }
        #expect(function.waitingPollers == RuntimeAPIFunction.maxPollers)
        // One more is refused at once.
        guard case .tooManyPollers = await function.next() else { Issue.record("a poll past the limit was not refused"); return }
        waiting.removeFirst().cancel()
        for _ in 0..<500 where function.waitingPollers == RuntimeAPIFunction.maxPollers { try await Task.sleep(for: .milliseconds(10)) }
        // A place freed is a place taken again.
        let again = Task { await function.next() }
        for _ in 0..<500 where function.waitingPollers < RuntimeAPIFunction.maxPollers { try await Task.sleep(for: .milliseconds(10)) }
        #expect(function.waitingPollers == RuntimeAPIFunction.maxPollers)
        function.releasePollers()
        guard case .cancelled = await again.value else { Issue.record("the freed place was not taken"); return }
        for task in waiting { _ = await task.value }
    }
}
