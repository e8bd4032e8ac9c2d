import Foundation

extension Database {
    /// The clock this database reads (see ``ShoalClock``).
    public var clock: ShoalClock { options.clock }

    /// Moves a manual clock forward by `seconds`, then runs what came due before returning:
    /// expired items are deleted (with their stream records), stream records and recovery history
    /// past retention are trimmed, and the triggers deliver what their windows, ages and back-offs
    /// now allow. - Returns: the time now.
    @discardableResult
    public func advanceClock(by seconds: Double) async throws(ShoalError) -> Date {
        try options.clock.advance(by: seconds)
        await runDueWork()
        return options.clock.now
    }

    /// Sets a manual clock, then runs what came due (see ``advanceClock(by:)``).
    public func setClock(_ date: Date) async throws(ShoalError) {
        try options.clock.set(date)
        await runDueWork()
    }

    /// Runs the time-driven work for the clock's time now, and waits for the triggers to settle.
    func runDueWork() async {
        let now = options.clock.now
        while await expireDueItems(now: now) > 0 {}
        await trimStreams(now: now)
        await trimRecoveryLogs(now: now)
        // Shard loops waiting for a window, a batching deadline or a back-off look again.
        streamService.commitSignal.signal()
        await triggerService.settle(version: streamService.commitSignal.version, clock: options.clock)
    }
}
