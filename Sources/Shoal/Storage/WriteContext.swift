import LMDB

/// What a write sees on the writer thread: the group's transaction, through methods that log how
/// to undo each change, and the shard's tables.
///
/// Each pending write runs as a unit (``unit(_:)``). Every put and delete of a unit records the
/// bytes it replaced, so when the unit throws, at whatever point, its changes are undone in
/// reverse order and its neighbours in the group are untouched. The transaction itself is not
/// handed out: there is no way to write that the log does not see. When undoing is impossible
/// (LMDB failed mid-write and the transaction must be aborted, or the unit changed the set of
/// databases) the unit throws ``Unrecoverable`` and the writer reruns the group without it.
///
/// A nested LMDB transaction per write was measured first: with 4,096 database slots per shard,
/// each one allocates and clears over 2 MB, which cost 25–50 % of small-write throughput.
final class WriteContext {
    private unowned let writer: ShardWriter
    private var transaction: Transaction!
    private var opened: [String: LMDB.Database] = [:]
    private var dropped: [String: LMDB.Database] = [:]
    private var sizeDeltas: [String: Int] = [:]

    private enum Undo {
        case restore(LMDB.Database, key: [UInt8], value: [UInt8])
        case remove(LMDB.Database, key: [UInt8])
    }

    /// How to undo the current unit's writes, oldest first.
    private var undo: [Undo] = []
    /// The current unit changed something its log cannot undo (databases created or dropped).
    private var irreversible = false

    /// A unit failed in a way its log cannot repair; the group must run again without it.
    struct Unrecoverable: Error {
        let error: any Error
    }

    init(writer: ShardWriter) { self.writer = writer }

    func begin(_ txn: Transaction) {
        transaction = txn
        opened = [:]
        dropped = [:]
        sizeDeltas = [:]
    }

    /// Runs one pending write as a unit: all of it, or (when it throws) none of it.
    func unit(_ body: () throws -> Void) throws {
        undo.removeAll(keepingCapacity: true)
        irreversible = false
        let saved = (opened, dropped, sizeDeltas)
        do {
            try body()
        } catch {
            (opened, dropped, sizeDeltas) = saved
            // A full map aborts the group anyway: it grows and the group reruns.
            if let lmdb = error as? LMDBError, lmdb.code == LMDBError.mapFull.code { throw error }
            // LMDB marks its transaction failed after an error inside a put or delete.
            if error is LMDBError || irreversible { throw Unrecoverable(error: error) }
            do {
                try rollBack()
            } catch {
                throw Unrecoverable(error: error)
            }
            throw error
        }
    }

    private func rollBack() throws {
        for entry in undo.reversed() {
            switch entry {
            case let .restore(db, key, value): try transaction.put(db, key: key, value: value)
            case let .remove(db, key): try transaction.delete(db, key: key)
            }
        }
        undo.removeAll(keepingCapacity: true)
    }

    // MARK: Reading and writing items

    /// The value stored under `key`, as this group has left it so far.
    func get(_ db: LMDB.Database, key: [UInt8]) throws -> [UInt8]? {
        try transaction.get(db, key: key)
    }

    /// Stores `value` under `key` (one B-tree descent when the key is new).
    /// - Returns: the bytes it replaced, or nil when the key was new.
    @discardableResult
    func put(_ db: LMDB.Database, key: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        guard let old = try transaction.insert(db, key: key, value: value, existing: { $0.array }) else {
            undo.append(.remove(db, key: key))
            return nil
        }
        try transaction.put(db, key: key, value: value)
        undo.append(.restore(db, key: key, value: old))
        return old
    }

    /// Deletes `key`. - Returns: the bytes it held, or nil when it was absent.
    @discardableResult
    func delete(_ db: LMDB.Database, key: [UInt8]) throws -> [UInt8]? {
        guard let old = try transaction.get(db, key: key) else { return nil }
        try transaction.delete(db, key: key)
        undo.append(.restore(db, key: key, value: old))
        return old
    }

    // MARK: Tables

    /// The items database of a live table in this shard.
    /// - Throws: `ResourceNotFoundException` when the table was deleted meanwhile.
    func items(_ tableID: String) throws -> LMDB.Database {
        if dropped[tableID] != nil { throw ShoalError.resourceNotFound }
        if let db = opened[tableID] ?? writer.database(for: tableID) { return db }
        throw ShoalError.resourceNotFound
    }

    /// Creates (or opens) the table's databases in this shard, first deleting deleted tables'
    /// databases whose quarantine is over, so their handle slots can be reused.
    func openTable(_ tableID: String) throws -> LMDB.Database {
        irreversible = true
        // mdb_drop(delete) closes the handle at once; should this transaction abort, the emptied
        // database stays in the file unreferenced, and the next open deletes it.
        for expired in writer.takeExpiredQuarantine() {
            try transaction.drop(expired, delete: true)
        }
        let db = try transaction.openDatabase(named: ShardLayout.itemsName(tableID), create: true)!
        opened[tableID] = db
        dropped[tableID] = nil
        return db
    }

    /// Empties the table's databases and forgets them. The handle stays open (and empty) for a
    /// grace period, so a reader that looked the table up just before it was deleted can never
    /// reach another table's data through a reused handle slot.
    func dropTable(_ tableID: String) throws {
        let db = try items(tableID)
        irreversible = true
        try transaction.drop(db, delete: false)
        try transaction.delete(writer.statistics, key: ShardLayout.sizeKey(tableID))
        dropped[tableID] = db
        opened[tableID] = nil
        sizeDeltas[tableID] = nil
    }

    /// Records a change of the table's total item size in this shard (written once per group).
    func addSize(_ delta: Int, table tableID: String) {
        guard delta != 0 else { return }
        sizeDeltas[tableID, default: 0] += delta
    }

    func finish() throws {
        guard !sizeDeltas.isEmpty else { return }
        let stats = writer.statistics
        for (table, delta) in sizeDeltas {
            let key = ShardLayout.sizeKey(table)
            let current = try transaction.get(stats, key: key).map(ShardLayout.decodeInt) ?? 0
            try transaction.put(stats, key: key, value: ShardLayout.encodeInt(current + delta))
        }
    }

    func committed() {
        writer.adopt(opened: opened, dropped: dropped)
    }
}
