import Foundation
import LMDB

extension Database {
    // MARK: Functions

    /// Makes a function available to event source mappings under `name` (replacing one of that
    /// name). Functions live in memory: register them again after each open; a stored mapping whose
    /// function is not registered waits for it without losing its place.
    /// - Parameter timeout: Lambda's `Timeout` (default 3 s): an in-process invocation running
    ///   longer fails with `Task timed out`.
    public func registerFunction(_ name: String, timeout: Duration = .seconds(3), _ function: any TriggerFunction) {
        triggerService.functions.withLock { $0[name] = RegisteredFunction(function: function, timeout: timeout) }
    }

    /// Registers an in-process closure as a function.
    ///
    /// ```swift
    /// db.registerFunction("audit") { batch in
    ///     for record in batch.records { log(record) }
    ///     return .success
    /// }
    /// ```
    public func registerFunction(_ name: String, timeout: Duration = .seconds(3),
                                 _ body: @escaping @Sendable (TriggerBatch) async throws -> TriggerResponse) {
        registerFunction(name, timeout: timeout, ClosureFunction(body))
    }

    public func unregisterFunction(_ name: String) {
        triggerService.functions.withLock { _ = $0.removeValue(forKey: name) }
    }

    public var functionNames: [String] { triggerService.functions.withLock { Array($0.keys).sorted() } }

    /// The registered functions by name, with their timeouts (for a console to describe them).
    public var registeredFunctions: [(name: String, timeout: Duration, function: any TriggerFunction)] {
        triggerService.functions.withLock { all in
            all.sorted { $0.key < $1.key }.map { ($0.key, $0.value.timeout, $0.value.function) }
        }
    }

    /// Takes over the functions and the failure webhook sender of `other` (the same directory
    /// opened before, as a server does after resharding it online).
    public func adoptFunctions(from other: Database) {
        let functions = other.triggerService.functions.withLock { $0 }
        triggerService.functions.withLock { $0.merge(functions) { _, theirs in theirs } }
        if let sender = other.triggerService.webhookSender.withLock({ $0 }) {
            triggerService.webhookSender.withLock { $0 = sender }
        }
        faults.adopt(other.faults)
    }

    /// Where on-failure records for `http(s)://` destinations go (installed by the server, which has
    /// an HTTP client).
    public func setFailureWebhookSender(_ sender: @escaping @Sendable (String, Data) async throws -> Void) {
        triggerService.webhookSender.withLock { $0 = sender }
    }

    // MARK: Event source mappings (Lambda's API)

    /// Lambda's CreateEventSourceMapping: binds a table's stream to a registered function.
    /// - Throws: `ResourceNotFoundException` for an unknown function, `InvalidParameterValueException`
    ///   for an unknown stream or bad parameters, `ResourceConflictException` when the function already
    ///   has a mapping for that stream.
    public func createEventSourceMapping(_ request: CreateEventSourceMappingRequest) async throws(ShoalError) -> EventSourceMappingConfiguration {
        try requireWritable()
        let name = try EventSourceMappingRules.functionName(request.functionName)
        guard triggerService.functions.withLock({ $0[name] }) != nil else {
            throw ShoalError(.resourceNotFound, "Function not found: \(EventSourceMappingRules.functionArn(name, region: options.region))")
        }
        guard (request.eventSourceArn == nil) != (request.tableName == nil) else {
            throw ShoalError(.invalidParameterValue, "Exactly one of EventSourceArn and a table name must be given.")
        }
        var definition = try EventSourceMappingRules.definition(request, functionName: name, uuid: UUID().uuidString.lowercased())
        definition.lastModified = options.clock.now.timeIntervalSince1970
        let stream: StreamHandle?
        if let arn = request.eventSourceArn {
            guard let found = try? self.stream(arn: arn) else {
                throw ShoalError(.invalidParameterValue, "Stream not found: \(arn)")
            }
            stream = found
            definition.streamID = found.definition.id
        } else {
            stream = nil
        }
        let created = try triggerService.changes.withLock { (_: inout Void) throws(ShoalError) -> MappingDefinition in
            let existing = try runSync { try catalog.allMappings() }
            // One mapping per function and stream, whether named by its ARN or followed through its table.
            let other = existing.first { other in
                other.functionName == name
                    && (other.source == definition.source || (definition.eventSourceArn != nil && sourceArn(other) == definition.eventSourceArn))
            }
            if let other {
                throw ShoalError(.resourceConflict, "The event source arn (\" \(definition.eventSourceArn ?? other.source) \") and function (\" \(name) \") provided mapping already exists. Please update or delete the existing mapping with UUID \(other.uuid)")
            }
            try runSync { try catalog.putMapping(definition, checkpoints: try stream.map { try startingCheckpoints($0, definition.startingPosition) } ?? [:]) }
            if definition.enabled { startRunner(definition) }
            return definition
        }
        var configuration = try configuration(created)
        configuration.state = .creating
        return configuration
    }

    /// Lambda's GetEventSourceMapping, with the mapping's position and lag per shard.
    public func getEventSourceMapping(uuid: String) throws(ShoalError) -> EventSourceMappingConfiguration {
        try configuration(try mapping(uuid))
    }

    /// Lambda's ListEventSourceMappings, optionally of one stream and/or one function, paged.
    public func listEventSourceMappings(eventSourceArn: String? = nil, functionName: String? = nil, marker: String? = nil,
                                        maxItems: Int? = nil) throws(ShoalError) -> ListEventSourceMappingsResponse {
        try EventSourceMappingRules.range(maxItems, "maxItems", 1...10_000)
        let function = try functionName.map { (name) throws(ShoalError) in try EventSourceMappingRules.functionName(name) }
        let all = try runSync { try catalog.allMappings() }
            .filter { function == nil || $0.functionName == function }
            .filter { eventSourceArn == nil || sourceArn($0) == eventSourceArn }
            .sorted { $0.uuid < $1.uuid }
        var start = 0
        if let marker {
            // Markers are sealed tokens of this directory, opaque as Lambda's are.
            guard let after = tokens.open(marker, for: .mappingMarker).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw ShoalError(.invalidParameterValue, "Invalid Marker: \(marker.prefix(64))")
            }
            guard let position = all.firstIndex(where: { $0.uuid > after }) else {
                return ListEventSourceMappingsResponse(eventSourceMappings: [], nextMarker: nil)
            }
            start = position
        }
        let page = Array(all[start...].prefix(maxItems ?? 100))
        var configurations: [EventSourceMappingConfiguration] = []
        for definition in page { configurations.append(try configuration(definition)) }
        let more = start + page.count < all.count
        return ListEventSourceMappingsResponse(eventSourceMappings: configurations, nextMarker: more ? page.last.map { tokens.seal(Array($0.uuid.utf8), for: .mappingMarker) } : nil)
    }

    /// Lambda's UpdateEventSourceMapping: changes parameters (and optionally the function); the
    /// mapping restarts from its checkpoint with them.
    public func updateEventSourceMapping(uuid: String, functionName: String? = nil,
                                         parameters: EventSourceMappingParameters) async throws(ShoalError) -> EventSourceMappingConfiguration {
        try requireWritable()
        let name = try functionName.map { (name) throws(ShoalError) in try EventSourceMappingRules.functionName(name) }
        if let name, triggerService.functions.withLock({ $0[name] }) == nil {
            throw ShoalError(.resourceNotFound, "Function not found: \(EventSourceMappingRules.functionArn(name, region: options.region))")
        }
        // The new runner starts once the one it replaces has stopped (see `startRunner`).
        let (updated, wasEnabled, stopped) = try triggerService.changes.withLock { (_: inout Void) throws(ShoalError) -> (MappingDefinition, Bool, MappingRunner?) in
            let current = try mapping(uuid)
            var changed = current
            try EventSourceMappingRules.apply(parameters, to: &changed)
            changed.lastModified = options.clock.now.timeIntervalSince1970
            if let name { changed.functionName = name }
            try runSync { try catalog.putMapping(changed) }
            if changed.enabled {
                startRunner(changed)
                return (changed, current.enabled, nil)
            }
            let stopped = triggerService.runners.withLock { $0.removeValue(forKey: uuid) }
            stopped?.cancel()
            return (changed, current.enabled, stopped)
        }
        await stopped?.stop()
        var configuration = try configuration(updated)
        // Lambda's transitional state for what the update does.
        switch (wasEnabled, updated.enabled) {
        case (true, false): configuration.state = .disabling
        case (false, true): configuration.state = .enabling
        default: configuration.state = .updating
        }
        return configuration
    }

    /// Lambda's DeleteEventSourceMapping: stops the mapping and forgets its checkpoints.
    public func deleteEventSourceMapping(uuid: String) async throws(ShoalError) -> EventSourceMappingConfiguration {
        try requireWritable()
        let definition = try mapping(uuid)
        var configuration = try configuration(definition)
        let runner = try triggerService.changes.withLock { (_: inout Void) throws(ShoalError) -> MappingRunner? in
            try runSync { try catalog.removeMapping(uuid) }
            let runner = triggerService.runners.withLock { $0.removeValue(forKey: uuid) }
            runner?.cancel()
            return runner
        }
        await runner?.stop()
        triggerService.statuses.withLock { _ = $0.removeValue(forKey: uuid) }
        configuration.state = .deleting
        return configuration
    }

    /// Stops every mapping and waits for their invocations in flight to end (their batches are
    /// delivered again after the next open: at least once).
    public func stopTriggers() async {
        let runners = triggerService.runners.withLock { runners in
            defer { runners.removeAll() }
            return Array(runners.values)
        }
        // Batches that already succeeded still record their checkpoints; then nothing more is written.
        for runner in runners { await runner.stop() }
        triggerService.closed.withLock { $0 = true }
    }

    // MARK: Internals

    /// Starts the stored, enabled mappings (on open).
    func startTriggers() {
        guard !options.readOnly, let definitions = try? catalog.allMappings() else { return }
        for definition in definitions where definition.enabled { startRunner(definition) }
    }

    /// On close: no checkpoint is written after this; runners stop.
    func cancelTriggers() {
        triggerService.closed.withLock { $0 = true }
        triggerService.runners.withLock { runners in
            for runner in runners.values { runner.cancel() }
            runners.removeAll()
        }
    }

    private func startRunner(_ definition: MappingDefinition) {
        let runner = MappingRunner(uuid: definition.uuid)
        let previous = triggerService.runners.withLock { runners in
            defer { runners[definition.uuid] = runner }
            return runners[definition.uuid]
        }
        previous?.cancel()
        runner.start(self, definition: definition, after: previous)
    }

    private func requireWritable() throws(ShoalError) {
        if options.readOnly { throw ShoalError.internalError("The data directory is open read-only") }
    }

    func mapping(_ uuid: String) throws(ShoalError) -> MappingDefinition {
        guard let found = try runSync({ try catalog.mapping(uuid) }) else {
            throw ShoalError(.resourceNotFound, "The resource you requested does not exist.")
        }
        return found
    }

    /// The ARN of the stream a mapping reads (nil while a table-following one waits for a stream).
    func sourceArn(_ definition: MappingDefinition) -> String? {
        if let id = definition.streamID, let stream = streamHandle(id) { return stream.definition.arn(region: options.region) }
        return definition.eventSourceArn
    }

    func configuration(_ d: MappingDefinition) throws(ShoalError) -> EventSourceMappingConfiguration {
        let status = triggerService.statuses.withLock { $0[d.uuid]?.snapshot } ?? MappingStatus.Value()
        var positions: [EventSourceMappingShardPosition] = []
        if let id = d.streamID, let stream = streamHandle(id) {
            for ref in stream.shards {
                let checkpoint = try runSync { try catalog.checkpoint(d.uuid, shard: ref.ordinal) }
                let backlog = try streamBacklog(stream, shard: ref, after: checkpoint?.after)
                // Shards a reshard closed are listed while they still have records to deliver.
                if ref.end != nil && backlog.count == 0 { continue }
                positions.append(EventSourceMappingShardPosition(
                    shardId: ref.shardID,
                    checkpoint: checkpoint?.after.flatMap { $0 <= ref.after ? nil : StreamRecordCodec.sequenceNumber(counter: $0, shard: ref.index) },
                    recordsBehind: backlog.count,
                    secondsBehind: backlog.oldest.map { max(0, options.clock.now.timeIntervalSince($0)) } ?? 0))
            }
        }
        var configuration = EventSourceMappingConfiguration(
            uuid: d.uuid, functionArn: EventSourceMappingRules.functionArn(d.functionName, region: options.region),
            functionName: d.functionName, eventSourceArn: sourceArn(d), tableName: d.tableName,
            startingPosition: d.startingPosition, batchSize: d.batchSize,
            maximumBatchingWindowInSeconds: d.maximumBatchingWindowInSeconds, maximumRetryAttempts: d.maximumRetryAttempts,
            maximumRecordAgeInSeconds: d.maximumRecordAgeInSeconds, bisectBatchOnFunctionError: d.bisectBatchOnFunctionError,
            functionResponseTypes: d.functionResponseTypes, parallelizationFactor: d.parallelizationFactor,
            tumblingWindowInSeconds: d.tumblingWindowInSeconds, filterCriteria: d.filterCriteria,
            onFailureDestination: d.onFailureDestination, state: d.enabled ? .enabled : .disabled,
            stateTransitionReason: "USER_INITIATED", lastModified: Date(timeIntervalSince1970: d.lastModified),
            lastProcessingResult: status.lastProcessingResult, lastError: status.lastError, shards: positions)
        configuration.lastErrorTime = status.lastErrorTime
        configuration.recordsSent = status.recordsSent
        return configuration
    }

    static let backlogCountLimit = 100_000

    /// Records of a stream shard after `after` (nil: all), counted up to `backlogCountLimit`, and
    /// when the oldest of them was written.
    func streamBacklog(_ stream: StreamHandle, shard ref: StreamShardRef, after: UInt64?) throws(ShoalError) -> (count: Int, oldest: Date?) {
        guard let (environment, db, _) = stream.location(ref) else { return (0, nil) }
        return try runSync {
            try snapshot(shards[environment]) { txn in
                try txn.withCursor(db) { cursor in
                    let start = StreamRecordCodec.key(counter: max(after ?? 0, ref.after))
                    var more = try cursor.seek(atOrAfter: start)
                    if more && cursor.key.compare(start) == 0 { more = try cursor.next() }
                    var oldest: Date?
                    var count = 0
                    while more && count < Database.backlogCountLimit {
                        guard let counter = StreamRecordCodec.counter(ofKey: cursor.key.array), ref.holds(counter) else { break }
                        if oldest == nil {
                            oldest = Date(timeIntervalSince1970: Double(try StreamRecordCodec.timeMillis(cursor.value.array)) / 1000)
                        }
                        count += 1
                        more = try cursor.next()
                    }
                    return (count, oldest)
                }
            }
        }
    }
}

extension MappingDefinition {
    /// What identifies the mapping's source for the one-mapping-per-function-and-source rule.
    var source: String { eventSourceArn ?? "table/" + (tableName ?? "") }
}
