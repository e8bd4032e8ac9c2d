import Foundation

extension Database {
    /// Admits a read of `handle` (of its global index `index` when given) or a write to it under
    /// enforced capacity. - Returns: the buckets to charge afterwards (none when not enforced).
    func admitCapacity(_ handle: TableHandle, index: String? = nil, write: Bool) throws(ShoalError) -> [CapacityEnforcer.Draw] {
        guard options.enforceCapacity else { return [] }
        let draws = CapacityEnforcer.draws(handle.definition, index: index, write: write, region: options.region)
        try capacityEnforcer.admit(draws, now: options.clock.now)
        return draws
    }

    /// Charges what an admitted request consumed.
    func chargeCapacity(_ draws: [CapacityEnforcer.Draw], _ handle: TableHandle, write: Bool, _ capacity: ConsumedCapacity) {
        guard !draws.isEmpty else { return }
        capacityEnforcer.charge(tableID: handle.definition.id, write: write,
                                units: capacity.table + capacity.localSecondaryIndexes.values.reduce(0, +),
                                indexUnits: capacity.globalSecondaryIndexes, rates: draws, now: options.clock.now)
    }

    /// Runs a read under enforced capacity: admitted first, charged with what it reports.
    func withReadCapacity<T>(_ handle: TableHandle, index: String? = nil, _ capacity: (T) -> ConsumedCapacity,
                             _ body: () async throws(ShoalError) -> T) async throws(ShoalError) -> T {
        let draws = try admitCapacity(handle, index: index, write: false)
        let result = try await body()
        chargeCapacity(draws, handle, write: false, capacity(result))
        return result
    }
}

extension Database {
    /// Admits a transaction's tables (`handles`, one per action, in order) under enforced
    /// capacity. A throttled table cancels the transaction with a `ProvisionedThroughputExceeded`
    /// reason for each of its actions (None for the others), as DynamoDB does.
    /// - Returns: the buckets to charge afterwards, by table name.
    func admitTransaction(_ handles: [TableHandle], write: Bool) throws(ShoalError) -> [String: (TableHandle, [CapacityEnforcer.Draw])] {
        guard options.enforceCapacity else { return [:] }
        var admitted: [String: (TableHandle, [CapacityEnforcer.Draw])] = [:]
        var throttled: [String: ShoalError] = [:]
        for handle in handles where admitted[handle.definition.name] == nil && throttled[handle.definition.name] == nil {
            do throws(ShoalError) {
                admitted[handle.definition.name] = (handle, try admitCapacity(handle, write: write))
            } catch {
                throttled[handle.definition.name] = error
            }
        }
        guard !throttled.isEmpty else { return admitted }
        let reasons = handles.map { handle -> CancellationReason in
            guard let error = throttled[handle.definition.name] else { return .none }
            return CancellationReason(code: "ProvisionedThroughputExceeded", message: error.message)
        }
        var error = ShoalError.transactionCanceled(reasons)
        error.throttlingReasons = throttled.values.flatMap { $0.throttlingReasons ?? [] }
        throw error
    }

    /// Charges what a transaction consumed, table by table.
    func chargeTransaction(_ admitted: [String: (TableHandle, [CapacityEnforcer.Draw])], _ consumed: [TableCapacity], write: Bool) {
        for entry in consumed {
            guard let (handle, draws) = admitted[entry.tableName] else { continue }
            chargeCapacity(draws, handle, write: write, entry.capacity)
        }
    }
}
