import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// A named database (an LMDB DBI handle), valid for the life of its environment once the
/// transaction that opened it has committed.
public struct Database: Sendable, Hashable {
    public let id: UInt32
}

/// Flags for ``Transaction/put(_:key:value:flags:)``.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with ``LMDBError/keyExists`` instead of overwriting.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key (bulk loads in key order).
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// A read or write transaction. It exists only inside ``Environment/read(_:)`` or
/// ``Environment/write(_:)`` and must not escape that closure or cross threads.
public final class Transaction {
    let handle: OpaquePointer
    public let isReadOnly: Bool
    private var finished = false
    private var cursors: [Cursor] = []

    /// Where a read transaction goes back to when it ends (nil for write transactions).
    private let pool: ReaderPool?
    /// A database opened in a read transaction stays open only if the transaction commits.
    private var openedDatabase = false
    /// Where a write transaction records what it changes (nil: nothing is recorded).
    private let journal: UndoJournal?
    private let environment: Environment

    init(environment: Environment, readOnly: Bool) throws {
        if readOnly, let reset = environment.readers.take() {
            let rc = mdb_txn_renew(reset)
            if rc != 0 {
                mdb_txn_abort(reset)
                throw LMDBError(code: rc, context: "renew read transaction")
            }
            handle = reset
        } else {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(environment.handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), "begin transaction")
            handle = txn!
        }
        isReadOnly = readOnly
        pool = readOnly ? environment.readers : nil
        journal = readOnly ? nil : environment.journal
        self.environment = environment
    }

    deinit {
        if !finished {
            closeCursors()
            mdb_txn_abort(handle)
        }
    }

    func commit() throws {
        precondition(!finished, "transaction already finished")
        closeCursors()
        finished = true
        if let pool, !openedDatabase {
            // Nothing to keep from a plain read: reset it for reuse instead of freeing it.
            mdb_txn_reset(handle)
            pool.give(handle)
            return
        }
        try check(mdb_txn_commit(handle), "commit")
    }

    private func closeCursors() {
        for cursor in cursors { cursor.close() }
        cursors.removeAll()
    }

    func abort() {
        guard !finished else { return }
        closeCursors()
        finished = true
        if let pool, !openedDatabase {
            mdb_txn_reset(handle)
            pool.give(handle)
            return
        }
        mdb_txn_abort(handle)
    }

    /// Opens the named database, creating it when `create` (write transactions only).
    /// - Returns: `nil` when it does not exist and `create` is false.
    public func openDatabase(named name: String?, create: Bool = false) throws -> Database? {
        openedDatabase = true
        if create, let journal, let name {
            // A database this transaction creates is journaled, so a rollback deletes it.
            if let existing = try open(name, flags: 0) { return existing }
            let created = try open(name, flags: UInt32(MDB_CREATE))!
            try record(journal, .created, name: name, key: UnsafeRawBufferPointer(start: nil, count: 0), value: nil)
            return created
        }
        return try open(name, flags: create ? UInt32(MDB_CREATE) : 0)
    }

    private func open(_ name: String?, flags: UInt32) throws -> Database? {
        var dbi = MDB_dbi()
        let rc = mdb_dbi_open(handle, name, flags, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "open database \(name ?? "<main>")")
        environment.databaseNames.withLock { $0[dbi] = name ?? "" }
        return Database(id: dbi)
    }

    /// Deletes the database and frees its pages (`delete: true`), or only empties it.
    public func drop(_ db: Database, delete: Bool) throws {
        if let journal, db != journal.db {
            // Every entry is journaled first (a rollback refills the database), then the deletion.
            let name = try journaledName(db)
            try withCursor(db) { cursor in
                var more = try cursor.first()
                while more {
                    try record(journal, .value, name: name, key: cursor.key.buffer, value: cursor.value.buffer)
                    more = try cursor.next()
                }
            }
            if delete { try record(journal, .deleted, name: name, key: UnsafeRawBufferPointer(start: nil, count: 0), value: nil) }
        }
        try check(mdb_drop(handle, db.id, delete ? 1 : 0), "drop database")
    }

    /// The name journal records give `db`.
    private func journaledName(_ db: Database) throws -> String {
        guard let name = environment.databaseNames.withLock({ $0[db.id] }) else {
            throw LMDBError(code: EINVAL, context: "a write to database \(db.id), opened without a name the undo journal knows")
        }
        return name
    }

    /// Appends an undo record to the journal in this transaction.
    private func record(_ journal: UndoJournal, _ kind: UndoJournal.Kind, name: String, key: UnsafeRawBufferPointer,
                        value: UnsafeRawBufferPointer?) throws {
        let bytes = UndoJournal.encode(kind, name: name, key: key, value: value)
        let sequence = UndoJournal.sequenceKey(journal.takeSequence())
        try sequence.withUnsafeBytes { k in
            try bytes.withUnsafeBytes { v in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                try check(mdb_put(handle, journal.db.id, &mk, &mv, UInt32(MDB_APPEND)), "journal")
            }
        }
    }

    /// Journals what `key` holds in `db` before a write changes it.
    private func recordBeforeWrite(_ db: Database, key k: UnsafeRawBufferPointer, knownAbsent: Bool = false) throws {
        guard let journal, db != journal.db else { return }
        let name = try journaledName(db)
        if knownAbsent { return try record(journal, .absent, name: name, key: k, value: nil) }
        var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
        var mv = MDB_val()
        let rc = mdb_get(handle, db.id, &mk, &mv)
        if rc == MDB_NOTFOUND { return try record(journal, .absent, name: name, key: k, value: nil) }
        try check(rc, "get")
        try record(journal, .value, name: name, key: k, value: UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size))
    }

    /// Journals the entry a cursor is about to delete.
    func recordBeforeCursorDelete(_ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        guard let journal, db != journal.db else { return }
        try record(journal, .value, name: try journaledName(db), key: key, value: value)
    }

    public func statistics(_ db: Database) throws -> DatabaseStatistics {
        var s = MDB_stat()
        try check(mdb_stat(handle, db.id, &s), "stat")
        return DatabaseStatistics(s)
    }

    /// Calls `body` with the value stored under `key`, borrowed from the map (zero copy).
    /// - Returns: `nil` when the key is absent.
    public func withValue<R>(_ db: Database, key: [UInt8], _ body: (BorrowedBytes) throws -> R) throws -> R? {
        try key.withUnsafeBytes { k in
            var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var mv = MDB_val()
            let rc = mdb_get(handle, db.id, &mk, &mv)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "get")
            return try body(BorrowedBytes(UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size)))
        }
    }

    /// A copy of the value stored under `key`, or `nil`.
    public func get(_ db: Database, key: [UInt8]) throws -> [UInt8]? {
        try withValue(db, key: key) { $0.array }
    }

    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                try recordBeforeWrite(db, key: k, knownAbsent: flags.contains(.append))
                var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                try check(mdb_put(handle, db.id, &mk, &mv, flags.rawValue), "put")
            }
        }
    }

    /// Inserts `value` under `key` when the key is new (one B-tree descent). When the key exists
    /// nothing is written and `existing` is called with the stored value instead.
    /// - Returns: nil when inserted, else what `existing` returned.
    public func insert<R>(_ db: Database, key: [UInt8], value: [UInt8], existing: (BorrowedBytes) throws -> R) throws -> R? {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                let rc = mdb_put(handle, db.id, &mk, &mv, UInt32(MDB_NOOVERWRITE))
                if rc == MDB_KEYEXIST {
                    // LMDB points `mv` at the stored value.
                    return try existing(BorrowedBytes(UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size)))
                }
                try check(rc, "put")
                if journal != nil { try recordBeforeWrite(db, key: k, knownAbsent: true) }
                return nil
            }
        }
    }

    /// Deletes `key`. - Returns: whether it existed.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k in
            try recordBeforeWrite(db, key: k)
            var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            let rc = mdb_del(handle, db.id, &mk, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "delete")
            return true
        }
    }

    /// A cursor over `db` that lives as long as this transaction (closed when it is released).
    public func openCursor(_ db: Database) throws -> Cursor {
        let cursor = try Cursor(transaction: self, database: db)
        cursors.append(cursor)
        return cursor
    }

    /// Runs `body` with a cursor over `db`; the cursor is closed when `body` returns.
    public func withCursor<R>(_ db: Database, _ body: (Cursor) throws -> R) throws -> R {
        let cursor = try Cursor(transaction: self, database: db)
        defer { cursor.close() }
        return try body(cursor)
    }
}
