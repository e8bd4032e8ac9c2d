import Synchronization

/// An item a transaction is committing: its table and stored key.
struct ItemLockKey: Hashable, Sendable {
    let tableID: String
    let key: [UInt8]
}

/// The items of the transactions being committed. Another transaction or a single-item write on
/// one of them is refused as DynamoDB refuses it (a `TransactionConflict` cancellation reason, a
/// `TransactionConflictException`), instead of waiting for it.
final class ItemLocks: Sendable {
    private let held = Mutex<Set<ItemLockKey>>([])
    /// How many items are held: single writes look at the set only when it is not empty.
    private let count = Atomic<Int>(0)

    /// Takes all of `keys`, or none of them when some are held.
    /// - Returns: for each key, whether another transaction holds it (all false when taken).
    func acquire(_ keys: [ItemLockKey]) -> [Bool] {
        held.withLock { held in
            let conflicts = keys.map { held.contains($0) }
            if conflicts.contains(true) { return conflicts }
            held.formUnion(keys)
            count.add(keys.count, ordering: .sequentiallyConsistent)
            return conflicts
        }
    }

    func release(_ keys: [ItemLockKey]) {
        held.withLock { held in
            for key in keys { held.remove(key) }
            count.subtract(keys.count, ordering: .sequentiallyConsistent)
        }
    }

    func isHeld(_ key: ItemLockKey) -> Bool {
        guard count.load(ordering: .sequentiallyConsistent) > 0 else { return false }
        return held.withLock { $0.contains(key) }
    }

    /// For a single-item write. - Throws: `TransactionConflictException` while a transaction commits the item.
    func checkFree(tableID: String, key: [UInt8]) throws(ShoalError) {
        if isHeld(ItemLockKey(tableID: tableID, key: key)) { throw .transactionConflict }
    }
}
