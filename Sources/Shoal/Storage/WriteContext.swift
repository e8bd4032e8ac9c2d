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
    /// The time this write reads (stream records, recovery stamps, expiry entries).
    var clock: ShoalClock { writer.clock }
    private var transaction: Transaction!
    /// Tables whose storage this group changed: opened, given or relieved of an index (a value),
    /// or dropped (nil).
    private var changed: [String: TableStorage?] = [:]
    /// Emptied databases to keep open for the grace period.
    private var quarantined: [LMDB.Database] = []
    /// Changes of the byte totals in `stats`, by key, written once per group.
    private var sizeDeltas: [ShardLayout.SizeCounter: Int] = [:]
    /// Whether this group appended stream records (the shard's counter is stored with it).
    private var appendedRecords = false

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

    var shardTransactions: LMDB.Database? { writer.transactions }
    var shardExpiry: LMDB.Database? { writer.system.expiry }

    func begin(_ txn: Transaction) {
        transaction = txn
        changed = [:]
        quarantined = []
        sizeDeltas = [:]
        appendedRecords = false
    }

    /// Runs one pending write as a unit: all of it, or (when it throws) none of it.
    func unit(_ body: () throws -> Void) throws {
        undo.removeAll(keepingCapacity: true)
        irreversible = false
        let saved = (changed, quarantined, sizeDeltas)
        do {
            try body()
        } catch {
            (changed, quarantined, sizeDeltas) = saved
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

    /// Stores `value` under `key` unless the key exists (one B-tree descent). - Returns: whether it stored it.
    func insertIfAbsent(_ db: LMDB.Database, key: [UInt8], value: [UInt8]) throws -> Bool {
        guard try transaction.insert(db, key: key, value: value, existing: { _ in () }) == nil else { return false }
        undo.append(.remove(db, key: key))
        return true
    }

    /// Deletes `key`. - Returns: the bytes it held, or nil when it was absent.
    @discardableResult
    func delete(_ db: LMDB.Database, key: [UInt8]) throws -> [UInt8]? {
        guard let old = try transaction.get(db, key: key) else { return nil }
        try transaction.delete(db, key: key)
        undo.append(.restore(db, key: key, value: old))
        return old
    }

    /// Up to `limit` entries of `db` after `key` (from the start when nil), as this group left them.
    func entries(_ db: LMDB.Database, after key: [UInt8]?, limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        try transaction.entries(db, after: key, limit: limit)
    }

    // MARK: Tables

    /// The storage of a live table in this shard, as this group has left it.
    /// - Throws: `ResourceNotFoundException` when the table was deleted meanwhile.
    func table(_ tableID: String) throws -> TableStorage {
        if let change = changed[tableID] {
            guard let storage = change else { throw ShoalError.resourceNotFound }
            return storage
        }
        if let storage = writer.storage(for: tableID) { return storage }
        throw ShoalError.resourceNotFound
    }

    /// The schema funnel's step in this shard (see ``Database/alterTable(_:id:_:)``): makes the
    /// table's databases here what `definition` says. Its items, every index it maintains and its
    /// live stream are opened (created when new, first deleting deleted tables' databases whose
    /// quarantine is over, so their handle slots can be reused); an index it no longer maintains
    /// is emptied and quarantined; the expiry attribute is taken from it. Idempotent: applying the
    /// same definition again changes nothing. - Returns: the table's storage from this unit on.
    @discardableResult
    func applyTable(_ definition: TableDefinition) throws -> TableStorage {
        let current = changed[definition.id] ?? writer.storage(for: definition.id)
        let existing = current?.databasesByName ?? [:]
        var reclaimed = false
        let storage = try TableStorage(definition) { name in
            if let db = existing[name] { return db }
            irreversible = true
            if !reclaimed {
                reclaimed = true
                // mdb_drop(delete) closes the handle at once; should this transaction abort, the
                // emptied database stays in the file unreferenced, and the next open deletes it.
                for expired in writer.takeExpiredQuarantine() { try transaction.drop(expired, delete: true) }
            }
            return try transaction.openDatabase(named: name, create: true)
        }!
        let kept = Set(storage.indexes.map(\.id))
        for index in current?.indexes ?? [] where !kept.contains(index.id) {
            try dropIndex(index, tableID: definition.id)
        }
        if let log = current?.recoveryLog, current?.recoveryLogID != storage.recoveryLogID {
            // Point-in-time recovery switched off: its history goes (as DynamoDB's does).
            irreversible = true
            try transaction.drop(log, delete: false)
            quarantined.append(log)
        }
        changed[definition.id] = storage
        return storage
    }

    /// Empties an index's database and its size counter; the handle is quarantined as a table's.
    private func dropIndex(_ index: ShardIndex, tableID: String) throws {
        irreversible = true
        try transaction.drop(index.db, delete: false)
        let counter = ShardLayout.SizeCounter(tableID: tableID, indexID: index.id)
        try transaction.delete(writer.statistics, key: counter.key)
        sizeDeltas[counter] = nil
        quarantined.append(index.db)
    }

    /// Empties the table's databases and forgets them. The handles stay open (and empty) for a
    /// grace period, so a reader that looked the table up just before it was deleted can never
    /// reach another table's data through a reused handle slot.
    func dropTable(_ tableID: String) throws {
        let storage = try table(tableID)
        irreversible = true
        for db in storage.allDatabases {
            try transaction.drop(db, delete: false)
            quarantined.append(db)
        }
        var counters = [ShardLayout.SizeCounter(tableID: tableID)]
        counters += storage.indexes.map { ShardLayout.SizeCounter(tableID: tableID, indexID: $0.id) }
        for counter in counters {
            try transaction.delete(writer.statistics, key: counter.key)
            sizeDeltas[counter] = nil
        }
        changed[tableID] = .some(nil)
    }

    /// Records a change of a byte total in `stats` (written once per group).
    func addSize(_ delta: Int, to counter: ShardLayout.SizeCounter) {
        guard delta != 0 else { return }
        sizeDeltas[counter, default: 0] += delta
    }

    /// Records a change of the table's total item size in this shard.
    func addSize(_ delta: Int, table tableID: String) {
        addSize(delta, to: ShardLayout.SizeCounter(tableID: tableID))
    }

    /// Records a change of an index's total entry size in this shard.
    func addSize(_ delta: Int, table tableID: String, index indexID: String) {
        addSize(delta, to: ShardLayout.SizeCounter(tableID: tableID, indexID: indexID))
    }

    /// Appends a stream record under the shard's next counter. A unit undone after this leaves a
    /// gap in the counters, never a reused one.
    func appendRecord(_ stream: ShardStream, value: [UInt8]) throws {
        writer.streamCounter += 1
        appendedRecords = true
        try put(stream.db, key: StreamRecordCodec.key(counter: writer.streamCounter), value: value)
    }

    /// Opens (creating) a stream's database in this shard without attaching it to a table: a
    /// reshard gives every stream one in each new shard.
    func openStreamDatabase(_ streamID: String, archive: Int? = nil) throws -> LMDB.Database {
        irreversible = true
        let name = archive.map { ShardLayout.archiveName(streamID, $0) } ?? ShardLayout.streamName(streamID)
        return try transaction.openDatabase(named: name, create: true)!
    }

    /// Raises the shard's stream record counter (a reshard starts a new shard's counters above
    /// every counter a retained record has, so sequence numbers stay unique).
    func raiseStreamCounter(to value: UInt64) throws {
        guard value > writer.streamCounter else { return }
        writer.streamCounter = value
        try put(writer.statistics, key: ShardLayout.streamCounterKey, value: withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    /// Copies records (and the trim horizon) of a removed shard's stream into this shard's archive of it.
    func archiveRecords(_ records: [(key: [UInt8], value: [UInt8])], into db: LMDB.Database, streamID: String, archive: Int,
                        horizon: [UInt8]?) throws {
        for (key, value) in records { try put(db, key: key, value: value) }
        if let horizon {
            let key = ShardLayout.trimHorizonKey(streamID, archive: archive)
            let current = try get(writer.statistics, key: key).flatMap(StreamRecordCodec.counter(ofKey:)) ?? 0
            if (StreamRecordCodec.counter(ofKey: horizon) ?? 0) > current { try put(writer.statistics, key: key, value: horizon) }
        }
    }

    /// Deletes up to `limit` of a stream's oldest records committed before `cutoffMillis`, and
    /// records how far the stream was trimmed. - Returns: how many it deleted.
    func trimStream(_ db: LMDB.Database, streamID: String, archive: Int? = nil, before cutoffMillis: Int, limit: Int) throws -> Int {
        let expired = try transaction.withCursor(db) { cursor -> [[UInt8]] in
            var keys: [[UInt8]] = []
            var more = try cursor.first()
            while more && keys.count < limit {
                guard try StreamRecordCodec.timeMillis(cursor.value.array) < cutoffMillis else { break }
                keys.append(cursor.key.array)
                more = try cursor.next()
            }
            return keys
        }
        for key in expired { try delete(db, key: key) }
        if let last = expired.last {
            try put(writer.statistics, key: ShardLayout.trimHorizonKey(streamID, archive: archive), value: last)
        }
        return expired.count
    }

    /// Deletes up to `limit` of a database's first keys, from the first, while `expired` holds
    /// for the key. - Returns: how many it deleted.
    func deleteLeading(_ db: LMDB.Database, limit: Int, while expired: ([UInt8]) -> Bool) throws -> Int {
        let keys = try transaction.withCursor(db) { cursor -> [[UInt8]] in
            var keys: [[UInt8]] = []
            var more = try cursor.first()
            while more && keys.count < limit {
                let key = cursor.key.array
                guard expired(key) else { break }
                keys.append(key)
                more = try cursor.next()
            }
            return keys
        }
        for key in keys { try delete(db, key: key) }
        return keys.count
    }

    /// Empties an ended stream's database in this shard (retention is over); the handle is
    /// quarantined as a deleted table's.
    func dropStream(_ db: LMDB.Database, streamID: String, archive: Int? = nil) throws {
        irreversible = true
        try transaction.drop(db, delete: false)
        try transaction.delete(writer.statistics, key: ShardLayout.trimHorizonKey(streamID, archive: archive))
        quarantined.append(db)
    }

    /// The last time stamp this shard's recovery logs used (see ``logRecovery(_:key:replaced:)``).
    var recoveryStamp: UInt64 {
        get { writer.recoveryStamp }
        set { writer.recoveryStamp = newValue }
    }

    /// Tells an online reshard that an item key was written (see ``ReshardTracking``).
    func noteItemWrite(tableID: String, key: [UInt8]) {
        writer.tracking.note(tableID: tableID, key: key, shard: writer.index)
    }

    func finish() throws {
        if appendedRecords {
            try transaction.put(writer.statistics, key: ShardLayout.streamCounterKey,
                                value: withUnsafeBytes(of: writer.streamCounter.bigEndian) { Array($0) })
        }
        guard !sizeDeltas.isEmpty else { return }
        let stats = writer.statistics
        for (counter, delta) in sizeDeltas where delta != 0 {
            let key = counter.key
            let current = try transaction.get(stats, key: key).map(ShardLayout.decodeInt) ?? 0
            try transaction.put(stats, key: key, value: ShardLayout.encodeInt(current + delta))
        }
    }

    func committed() {
        writer.adopt(changed: changed, quarantined: quarantined)
        if appendedRecords { writer.commitSignal.signal() }
    }
}
