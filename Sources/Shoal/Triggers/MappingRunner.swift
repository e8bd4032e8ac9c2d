import Foundation
import Synchronization

/// Runs one enabled mapping: binds it to its stream, then follows every stream shard in its own
/// task (a failing function holds up only its own shard of its own mapping).
final class MappingRunner: Sendable {
    let uuid: String
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(uuid: String) { self.uuid = uuid }

    /// Starts the mapping; when it replaces a runner of the same mapping, only once that one has
    /// stopped (two runners never deliver the same shard at once).
    func start(_ database: Database, definition: MappingDefinition, after previous: MappingRunner? = nil) {
        let status = database.triggerService.status(definition.uuid)
        // The runner counts as working (see ``TriggerService/settle(version:clock:timeout:)``) until
        // its shard loops are registered, so a clock change never settles before they run.
        let runnerID = UUID()
        let triggers = database.triggerService
        triggers.loop(runnerID, .working)
        let work = Task.detached {
            defer { triggers.loop(runnerID, nil) }
            await previous?.stop()
            var definition = definition
            while !Task.isCancelled {
                triggers.loop(runnerID, .working)
                guard let bound = await database.bind(&definition, status: status, loopID: runnerID) else { return }
                triggers.loop(runnerID, .lanes)
                let finished = await database.runShards(definition, stream: bound, status: status)
                // A table-following mapping moves on to the table's next stream once this one is done.
                guard finished, definition.tableName != nil, !Task.isCancelled else { return }
                definition.streamID = nil
            }
        }
        task.withLock { $0 = work }
    }

    /// Stops the mapping and waits until no invocation or checkpoint of it is in flight.
    func stop() async {
        let work = task.withLock { $0 }
        work?.cancel()
        await work?.value
    }

    func cancel() { task.withLock { $0?.cancel() } }
}

extension Database {
    /// The mapping's stream; a table-following mapping without one waits for its table to get one
    /// and then records its starting checkpoints. Nil when the mapping stops first.
    func bind(_ definition: inout MappingDefinition, status: MappingStatus, loopID: UUID) async -> StreamHandle? {
        while !Task.isCancelled {
            if let id = definition.streamID {
                if let handle = streamHandle(id) { return handle }
                status.problem("The mapping's stream no longer exists")
            } else if let table = definition.tableName {
                if let stream = lookup(table)?.definition.liveStream, let handle = streamHandle(stream.id) {
                    definition.streamID = stream.id
                    do {
                        try triggerService.changes.withLock { _ in
                            // Only while the mapping still exists (a delete may have raced).
                            guard try catalog.mapping(definition.uuid) != nil else { throw CancellationError() }
                            try catalog.putMapping(definition, checkpoints: try startingCheckpoints(handle, definition.startingPosition))
                        }
                        return handle
                    } catch {
                        return nil
                    }
                }
                status.problem("Waiting for table \(table) to have a stream")
            } else {
                return nil
            }
            let poll = triggerService.idlePoll.withLock { $0 }
            // Waiting for a stream to follow is not work a clock change waits for.
            triggerService.loop(loopID, .lanes)
            defer { triggerService.loop(loopID, .working) }
            do { try await Task.sleep(for: poll) } catch { return nil }
        }
        return nil
    }

    /// Per stream shard (by ordinal), where a new mapping starts: TRIM_HORIZON from the oldest
    /// record, LATEST after the newest one now (shards a reshard closed count as done).
    func startingCheckpoints(_ stream: StreamHandle, _ position: StartingPosition) throws -> [Int: MappingCheckpoint] {
        var checkpoints: [Int: MappingCheckpoint] = [:]
        for ref in stream.shards {
            switch position {
            case .trimHorizon: checkpoints[ref.ordinal] = MappingCheckpoint(after: nil)
            case .latest: checkpoints[ref.ordinal] = MappingCheckpoint(after: max(try lastCounter(stream, ref) ?? 0, try trimHorizon(stream, ref)))
            }
        }
        return checkpoints
    }

    /// Follows every shard of the stream, one generation at a time: the shards a reshard opened
    /// start once every shard of the generation before is done, so each key's changes are
    /// delivered in order across a reshard. - Returns: true when all of them are finished (ended stream).
    func runShards(_ definition: MappingDefinition, stream: StreamHandle, status: MappingStatus) async -> Bool {
        guard let filter = try? EventFilter(definition.filterCriteria) else { return false }
        let streamArn = stream.definition.arn(region: options.region)
        let functionArn = EventSourceMappingRules.functionArn(definition.functionName, region: options.region)
        for generation in stream.lineage.generations.indices {
            let finished = await withTaskGroup(of: Bool.self) { group in
                for ref in stream.shards where ref.generation == generation {
                    let context = DeliveryContext(database: self, definition: definition, stream: stream, streamArn: streamArn,
                                                  functionArn: functionArn, filter: filter, status: status, shard: ref)
                    // Working from now, not from when the task first runs.
                    triggerService.loop(context.loopID, .working)
                    group.addTask { await context.run() }
                }
                var finished = true
                for await done in group { finished = finished && done }
                return finished
            }
            guard finished else { return false }
        }
        return true
    }
}
