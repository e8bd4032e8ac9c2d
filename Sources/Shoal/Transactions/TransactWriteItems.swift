import Foundation

extension Database {
    static let maxTransactionActions = 100
    static let maxTransactionBytes = 4 * 1024 * 1024

    /// DynamoDB's TransactWriteItems: up to 100 puts, updates, deletes and condition checks on
    /// any tables, all applied or none, across shards and across a crash at any instant.
    /// - Throws: `ValidationException` for an invalid request, `ResourceNotFoundException` for a
    ///   missing table, `TransactionCanceledException` with one reason per action when a condition
    ///   fails, an item cannot take its update, or another transaction is committing one of the
    ///   items; `IdempotentParameterMismatchException` for a reused token with another request.
    public func transactWriteItems(_ request: TransactWriteItemsRequest) async throws(ShoalError) -> TransactWriteItemsResponse {
        let actions = try prepareTransaction(request)
        if let token = request.clientRequestToken, let replay = try transactions.idempotencyTokens.begin(token: token, request: request, now: options.clock.now) {
            return replay
        }
        do {
            let admitted = try admitTransaction(actions.map(\.handle), write: true)
            let response = try await commitTransaction(actions, request: request)
            chargeTransaction(admitted, response.consumedCapacity, write: true)
            if let token = request.clientRequestToken { transactions.idempotencyTokens.finish(token: token, response: response, now: options.clock.now) }
            return response
        } catch {
            if let token = request.clientRequestToken { transactions.idempotencyTokens.abandon(token: token) }
            throw error
        }
    }

    /// Validates the request and each action, as DynamoDB does before looking at any item.
    func prepareTransaction(_ request: TransactWriteItemsRequest) throws(ShoalError) -> [TransactAction] {
        guard !request.actions.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard request.actions.count <= Database.maxTransactionActions else {
            throw .validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to \(Database.maxTransactionActions)")
        }
        if let token = request.clientRequestToken {
            try IdempotencyTokens.validate(token)
        }
        var actions: [TransactAction] = []
        var seen = Set<ItemLockKey>()
        var bytes = 0
        for (position, action) in request.actions.enumerated() {
            let table = try handle(action.tableName)
            // An action whose key does not fit its table cancels the transaction with a
            // ValidationError reason for that action (None for every other), as DynamoDB does.
            if let problem = TransactAction.keyProblem(action, handle: table) {
                var reasons = Array(repeating: CancellationReason.none, count: request.actions.count)
                reasons[position] = .validation(problem.message)
                throw .transactionCanceled(reasons)
            }
            let prepared = try TransactAction(action, position: position, handle: table)
            guard seen.insert(prepared.lock).inserted else {
                throw .validation("Transaction request cannot include multiple operations on one item")
            }
            bytes += prepared.requestBytes
            actions.append(prepared)
        }
        guard bytes <= Database.maxTransactionBytes else {
            throw .validation("Transaction request size cannot exceed 4 MB")
        }
        return actions
    }

    private func commitTransaction(_ actions: [TransactAction], request: TransactWriteItemsRequest) async throws(ShoalError) -> TransactWriteItemsResponse {
        let locks = actions.map(\.lock)
        let conflicts = transactions.itemLocks.acquire(locks)
        if conflicts.contains(true) {
            throw .transactionCanceled(conflicts.map { $0 ? .conflict : .none })
        }
        defer { transactions.itemLocks.release(locks) }
        var byShard: [Int: [TransactAction]] = [:]
        for action in actions { byShard[ring.shard(for: action.token), default: []].append(action) }
        let plans: [Int: ActionPlan]
        let indexes: [Int: ConsumedCapacity]
        if byShard.count == 1, let (shard, group) = byShard.first {
            (plans, indexes) = try await commitOnOneShard(shard, group)
        } else {
            (plans, indexes) = try await commitAcrossShards(byShard)
        }
        var response = TransactWriteItemsResponse()
        response.consumedCapacity = Database.transactionCapacity(actions, plans: plans, indexes: indexes)
        if request.returnItemCollectionMetrics == .size {
            for action in actions where action.writes {
                if let metrics = try itemCollectionMetrics(action.handle, partition: action.key.partition) {
                    response.itemCollectionMetrics[action.tableName, default: []].append(metrics)
                }
            }
        }
        return response
    }

    /// All actions on one shard: planned and written in one unit of its group commit.
    private func commitOnOneShard(_ shard: Int, _ actions: [TransactAction]) async throws(ShoalError) -> ([Int: ActionPlan], [Int: ConsumedCapacity]) {
        try await run {
            try await shards[shard].writer.perform { context in
                let plans = try actions.map { try $0.plan(in: context) }
                if plans.contains(where: { $0.failure != nil }) {
                    throw ShoalError.transactionCanceled(Database.reasons(Dictionary(uniqueKeysWithValues: zip(actions.map(\.position), plans)),
                                                                          count: actions.count))
                }
                var writes: [(Int, PlannedWrite)] = []
                for (action, plan) in zip(actions, plans) {
                    if case let .write(write, _) = plan { writes.append((action.position, write)) }
                }
                let capacity = try context.apply(writes.map(\.1))
                return (Dictionary(uniqueKeysWithValues: zip(actions.map(\.position), plans)),
                        Dictionary(uniqueKeysWithValues: zip(writes.map(\.0), capacity)))
            }
        }
    }

    /// What the batches of transactions spanning shards need.
    var batcherContext: CrossShardBatcher.Context {
        CrossShardBatcher.Context(writers: shards.map(\.writer), gate: transactions.gate,
                                  crashPoint: options.testCrashPoint.flatMap(CommitStep.init(rawValue:)), jobs: jobs)
    }

    /// Actions on several shards: see ``CrossShardBatch`` and ``TransactionLog``.
    private func commitAcrossShards(_ byShard: [Int: [TransactAction]]) async throws(ShoalError) -> ([Int: ActionPlan], [Int: ConsumedCapacity]) {
        let outcome = await transactions.batcher.commit(BatchMember(byShard: byShard), context: batcherContext)
        let count = byShard.values.reduce(0) { $0 + $1.count }
        guard outcome.committed else {
            if outcome.plans.values.contains(where: { $0.failure != nil }) {
                throw .transactionCanceled(Database.reasons(outcome.plans, count: count))
            }
            // A shard could not take part (its table was deleted meanwhile, the database is closing, …).
            if let failure = outcome.failure as? ShoalError { throw failure }
            throw .internalError("The transaction was not committed: \(outcome.failure.map { "\($0)" } ?? "a shard failed")")
        }
        return (outcome.plans, outcome.indexes)
    }

    /// One reason per action, in order: the failure of each failed action, `None` for the others.
    static func reasons(_ plans: [Int: ActionPlan], count: Int) -> [CancellationReason] {
        (0..<count).map { plans[$0]?.failure ?? .none }
    }

    /// Twice the units of the same reads and writes outside a transaction, by table.
    static func transactionCapacity(_ actions: [TransactAction], plans: [Int: ActionPlan], indexes: [Int: ConsumedCapacity]) -> [TableCapacity] {
        var tables: [TableCapacity] = []
        for action in actions {
            var position = tables.firstIndex { $0.tableName == action.tableName }
            if position == nil {
                tables.append(TableCapacity(tableName: action.tableName))
                position = tables.count - 1
            }
            var entry = tables[position!]
            switch plans[action.position] {
            case let .write(_, bytes)?:
                let units = 2 * CapacityUnits.write(bytes: bytes)
                entry.writeUnits += units
                entry.capacity.table += units
            case let .read(bytes)? where !action.writes:
                let units = 2 * CapacityUnits.read(bytes: bytes, consistent: true)
                entry.readUnits += units
                entry.capacity.table += units
            case .read?, .failed?, nil:
                // A delete or update that found nothing to change still costs its write.
                let units = 2 * CapacityUnits.write(bytes: 0)
                entry.writeUnits += units
                entry.capacity.table += units
            }
            if let index = indexes[action.position] {
                var doubled = ConsumedCapacity()
                doubled.add(ConsumedCapacity(globalSecondaryIndexes: index.globalSecondaryIndexes.mapValues { $0 * 2 },
                                             localSecondaryIndexes: index.localSecondaryIndexes.mapValues { $0 * 2 }))
                entry.capacity.add(doubled)
                entry.writeUnits += doubled.total
            }
            tables[position!] = entry
        }
        return tables
    }
}
