import Foundation

extension DeliveryContext {
    /// Largest record bytes in one invocation: Lambda's payload limit is 6 MB of event JSON, which
    /// is larger than the records' own size.
    static let batchByteLimit = 3 << 20

    /// Follows one stream shard until the mapping stops (or, for an ended stream, until the shard
    /// is read to its end): reads after the checkpoint, gathers batches, delivers them, and moves the
    /// durable checkpoint only past what is done.
    /// - Returns: true when the shard is finished (closed by a reshard or its stream's end, and
    ///   every record is done).
    func run() async -> Bool {
        triggers.loop(loopID, .working)
        defer { triggers.loop(loopID, nil) }
        let catalog = database.catalog
        var stream = self.stream
        var checkpoint = (try? catalog.checkpoint(definition.uuid, shard: shard.ordinal)) ?? MappingCheckpoint()
        let tumbling = definition.tumblingWindowInSeconds > 0
        let lanes = tumbling ? 1 : definition.parallelizationFactor
        let limit = definition.batchSize * lanes
        // When the first record of the batch being gathered was seen (batching window).
        var gathering: (first: UInt64, since: Date)?
        while !Task.isCancelled && !triggers.closed.withLock({ $0 }) {
            let seen = database.streamService.commitSignal.version
            let page: StreamShardPage
            do {
                page = try database.readStream(stream, shard: shard, after: checkpoint.after, limit: limit, byteLimit: Self.batchByteLimit * lanes)
            } catch let error where error.kind == .trimmedDataAccess {
                // Records aged out before delivery (as in Lambda, they are lost): go on from the horizon.
                status.problem("Records were trimmed before delivery: \(error.message)")
                checkpoint.after = nil
                continue
            } catch {
                status.problem("Cannot read the stream: \(error.message)")
                await idle(after: seen, for: .seconds(1))
                continue
            }
            guard let last = page.last, let first = page.records.first else {
                if tumbling, let start = checkpoint.windowStart, database.options.clock.now.timeIntervalSince1970 >= start + Double(definition.tumblingWindowInSeconds) {
                    guard await closeWindow(&checkpoint) else { return false }
                    continue
                }
                if page.finished(at: checkpoint.after) {
                    // A shard that ends (a reshard, or its stream's end) ends its open window early, as in Lambda.
                    if tumbling && checkpoint.windowStart != nil { guard await closeWindow(&checkpoint, early: true) else { return false } }
                    return true
                }
                // The handle this loop started with keeps the definition it had then; the registry has the current one.
                if !page.closed, let current = database.streamHandle(stream.definition.id), current.definition.endedAt != nil {
                    stream = current   // ended meanwhile: the next read knows the shard is closed
                    continue
                }
                await idle(after: seen, for: nextWake(checkpoint))
                continue
            }
            // Batching window: wait for a full batch, up to MaximumBatchingWindowInSeconds.
            if definition.maximumBatchingWindowInSeconds > 0 && page.records.count < limit {
                let counter = StreamRecordCodec.parse(sequenceNumber: first.sequenceNumber)?.counter ?? 0
                let clock = database.options.clock
                // The window runs from the first record's write (not from when this loop read it).
                if gathering?.first != counter { gathering = (counter, min(clock.now, first.committedAt)) }
                let remaining = gathering!.since.addingTimeInterval(Double(definition.maximumBatchingWindowInSeconds)).timeIntervalSince(clock.now)
                if remaining > 0 {
                    // A manual clock wakes this wait when it moves (through the commit signal).
                    await idle(after: seen, for: clock.mode == .manual ? triggers.idlePoll.withLock { $0 } : .milliseconds(Int(remaining * 1000) + 1))
                    continue
                }
            }
            gathering = nil
            if tumbling {
                guard await deliverWindowed(page.records, &checkpoint) else { return false }
                continue
            }
            let matching = page.records.filter { filter.matches($0, eventSourceArn: streamArn, region: database.options.region) }
            if !matching.isEmpty {
                guard await deliverLanes(matching, lanes: lanes) else { return false }
            }
            checkpoint.after = last
            guard save(checkpoint) else { return false }
        }
        return false
    }

    /// Delivers records split into `lanes` by partition key (each lane in order, lanes concurrently),
    /// each lane in batches of up to `BatchSize`. False when the mapping stopped.
    private func deliverLanes(_ records: [StreamRecord], lanes: Int) async -> Bool {
        var split = Array(repeating: [StreamRecord](), count: lanes)
        let partition = AttributeName(stream.definition.primaryKey.partition.name)
        for record in records {
            let lane = lanes == 1 ? 0 : record.keys[partition].map { Int(KeyEncoding.token($0) % UInt64(lanes)) } ?? 0
            split[lane].append(record)
        }
        let batches = split.filter { !$0.isEmpty }.map { lane in batched(lane) }
        if batches.count == 1 { return await deliverInOrder(batches[0]) }
        // The loop waits while its lanes work (each tracked as a loop of its own until it ends).
        triggers.loop(loopID, .lanes)
        defer { triggers.loop(loopID, .working) }
        return await withTaskGroup(of: Bool.self) { group in
            for lane in batches {
                var context = self
                context.loopID = UUID()
                triggers.loop(context.loopID, .working)
                group.addTask {
                    defer { context.triggers.loop(context.loopID, nil) }
                    return await context.deliverInOrder(lane)
                }
            }
            var all = true
            for await done in group { all = all && done }
            return all
        }
    }

    private func deliverInOrder(_ batches: [[StreamRecord]]) async -> Bool {
        for batch in batches {
            guard case .done = await deliver(batch) else { return false }
        }
        return true
    }

    /// Consecutive batches of at most `BatchSize` records and `batchByteLimit` bytes.
    private func batched(_ records: [StreamRecord]) -> [[StreamRecord]] {
        var batches: [[StreamRecord]] = []
        var current: [StreamRecord] = []
        var bytes = 0
        for record in records {
            if !current.isEmpty && (current.count == definition.batchSize || bytes + record.sizeBytes > Self.batchByteLimit) {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(record)
            bytes += record.sizeBytes
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    // MARK: Tumbling windows

    private func windowStart(of record: StreamRecord) -> Double {
        let size = Double(definition.tumblingWindowInSeconds)
        return (record.committedAt.timeIntervalSince1970 / size).rounded(.down) * size
    }

    /// Delivers the records of the first window the page holds (closing an earlier open window
    /// first), carrying the window's state from one invocation to the next.
    private func deliverWindowed(_ records: [StreamRecord], _ checkpoint: inout MappingCheckpoint) async -> Bool {
        let start = windowStart(of: records[0])
        if let open = checkpoint.windowStart, open < start {
            return await closeWindow(&checkpoint)
        }
        let inWindow = records.prefix { windowStart(of: $0) == start }
        let matching = inWindow.filter { filter.matches($0, eventSourceArn: streamArn, region: database.options.region) }
        var state = checkpoint.windowState ?? "{}"
        if !matching.isEmpty {
            let window = TumblingWindow(start: Date(timeIntervalSince1970: start),
                                        end: Date(timeIntervalSince1970: start + Double(definition.tumblingWindowInSeconds)),
                                        state: state, isFinalInvokeForWindow: false, isWindowTerminatedEarly: false)
            guard case .done(let returned) = await deliver(Array(matching), window: window) else { return false }
            state = returned ?? state
        }
        checkpoint.windowStart = start
        checkpoint.windowState = state
        checkpoint.after = StreamRecordCodec.parse(sequenceNumber: inWindow.last!.sequenceNumber)?.counter ?? checkpoint.after
        // Lambda ends a window whose state passes 1 MB: the final invocation gets that state, and
        // it is never stored (until the final invocation succeeds, the batch is not checkpointed).
        if state.utf8.count > TumblingWindow.maxStateBytes {
            return await closeWindow(&checkpoint, early: true)
        }
        return save(checkpoint)
    }

    /// The final invocation of the open window (no records, its state), retried until it succeeds;
    /// `early` when its shard ended before the window did or its state grew past 1 MB.
    private func closeWindow(_ checkpoint: inout MappingCheckpoint, early: Bool = false) async -> Bool {
        guard let start = checkpoint.windowStart else { return true }
        let window = TumblingWindow(start: Date(timeIntervalSince1970: start),
                                    end: Date(timeIntervalSince1970: start + Double(definition.tumblingWindowInSeconds)),
                                    state: checkpoint.windowState ?? "{}", isFinalInvokeForWindow: true, isWindowTerminatedEarly: early)
        guard case .done = await deliver([], window: window) else { return false }
        checkpoint.windowStart = nil
        checkpoint.windowState = nil
        return save(checkpoint)
    }

    private func nextWake(_ checkpoint: MappingCheckpoint) -> Duration {
        let poll = triggers.idlePoll.withLock { $0 }
        guard let start = checkpoint.windowStart else { return poll }
        let remaining = start + Double(definition.tumblingWindowInSeconds) - database.options.clock.now.timeIntervalSince1970
        return min(poll, .milliseconds(max(10, Int(remaining * 1000) + 10)))
    }

    // MARK: Waiting and checkpoints

    /// Waits for a commit after `seen`, at most `limit`.
    private func idle(after seen: UInt64, for limit: Duration) async {
        let signal = database.streamService.commitSignal
        triggers.loop(loopID, .stream(seen: seen))
        defer { triggers.loop(loopID, .working) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait(after: seen) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stores the checkpoint unless the database is closing (a batch that succeeded while its
    /// mapping was being stopped is still recorded, so a graceful stop redelivers nothing). False
    /// when it could not.
    private func save(_ checkpoint: MappingCheckpoint) -> Bool {
        triggers.closed.withLock { closed in
            guard !closed else { return false }
            do {
                try database.catalog.putCheckpoint(checkpoint, uuid: definition.uuid, shard: shard.ordinal)
                return true
            } catch {
                status.problem("Cannot store the checkpoint: \(error)")
                return false
            }
        }
    }
}
