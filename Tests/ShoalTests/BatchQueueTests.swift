import Testing
@testable import Shoal

/// The cross-shard batcher's queue, driven event by event (entries are numbers).
@Suite struct BatchQueueTests {
    @Test func theFirstTransactionLaunchesAtOnceAndTheNextOnesWaitForItsBatch() {
        var queue = BatchQueue<Int>(maxBatch: 3)
        let first = queue.submit(1)
        #expect(first == [1])
        for i in 2...6 {
            let launched = queue.submit(i)
            #expect(launched == nil)
        }
        // The batch in flight finishes: up to maxBatch of the waiting ones go together, in order.
        guard case .launch(let second) = queue.batchFinished() else { Issue.record("second batch"); return }
        #expect(second == [2, 3, 4])
        guard case .launch(let third) = queue.batchFinished() else { Issue.record("third batch"); return }
        #expect(third == [5, 6])
        guard case .idle = queue.batchFinished() else { Issue.record("idle"); return }
        #expect(!queue.inFlight)
        // Idle again: the next transaction launches at once.
        let again = queue.submit(7)
        #expect(again == [7])
    }

    @Test func anExclusiveSectionWaitsForTheBatchInFlightAndHoldsTheNextOnes() {
        var queue = BatchQueue<Int>(maxBatch: 64)
        _ = queue.submit(1)
        queue.pauseRequested()
        #expect(queue.mustPauserWait)
        // Arrivals while a section waits are held, even though they could join no batch in flight.
        let held = queue.submit(2)
        #expect(held == nil)
        guard case .wakePausers = queue.batchFinished() else { Issue.record("wake"); return }
        #expect(!queue.mustPauserWait)
        queue.pauseBegins()
        let duringPause = queue.submit(3)
        #expect(duringPause == nil)
        guard case .launch(let next) = queue.pauseEnded() else { Issue.record("after the pause"); return }
        #expect(next == [2, 3])
    }

    @Test func aSecondExclusiveSectionIsWokenWhenTheFirstEndsWithNothingQueued() {
        var queue = BatchQueue<Int>(maxBatch: 64)
        queue.pauseRequested()
        #expect(!queue.mustPauserWait)
        queue.pauseBegins()
        // A second section arrives while the first runs: it waits...
        queue.pauseRequested()
        #expect(queue.mustPauserWait)
        // ...and is woken when the first ends, though no batch is queued (none would finish to wake it).
        guard case .wakePausers = queue.pauseEnded() else { Issue.record("the second section was not woken"); return }
        #expect(!queue.mustPauserWait)
        queue.pauseBegins()
        guard case .idle = queue.pauseEnded() else { Issue.record("idle"); return }
        #expect(!queue.inFlight && queue.pausers == 0)
    }
}
