import CLMDB

/// A position in a database, used inside ``Transaction/withCursor(_:_:)``.
///
/// Each move returns whether the cursor now stands on an entry; ``key`` and ``value``
/// borrow that entry's bytes until the next move.
public final class Cursor {
    private var handle: OpaquePointer?
    private var currentKey = MDB_val()
    private var currentValue = MDB_val()
    private var positioned = false

    private unowned let transaction: Transaction
    private let database: Database

    init(transaction: Transaction, database: Database) throws {
        self.transaction = transaction
        self.database = database
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(transaction.handle, database.id, &cursor), "open cursor")
        handle = cursor
    }

    deinit { close() }

    func close() {
        if let handle { mdb_cursor_close(handle) }
        handle = nil
    }

    private func move(_ op: MDB_cursor_op) throws -> Bool {
        guard let handle else { preconditionFailure("cursor used after its transaction closure") }
        let rc = mdb_cursor_get(handle, &currentKey, &currentValue, op)
        if rc == MDB_NOTFOUND {
            positioned = false
            return false
        }
        try check(rc, "cursor get")
        positioned = true
        return true
    }

    private func move(_ op: MDB_cursor_op, key: [UInt8]) throws -> Bool {
        guard let handle else { preconditionFailure("cursor used after its transaction closure") }
        return try key.withUnsafeBytes { k in
            var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var mv = MDB_val()
            let rc = mdb_cursor_get(handle, &mk, &mv, op)
            if rc == MDB_NOTFOUND {
                positioned = false
                return false
            }
            try check(rc, "cursor seek")
            if op == MDB_SET {
                // MDB_SET leaves the key pointing at the caller's buffer; fetch LMDB's own copy.
                return try move(MDB_GET_CURRENT)
            }
            currentKey = mk
            currentValue = mv
            positioned = true
            return true
        }
    }

    @discardableResult public func first() throws -> Bool { try move(MDB_FIRST) }
    @discardableResult public func last() throws -> Bool { try move(MDB_LAST) }
    @discardableResult public func next() throws -> Bool { try move(MDB_NEXT) }
    @discardableResult public func previous() throws -> Bool { try move(MDB_PREV) }

    /// Moves to the first entry whose key is `>= key` (`MDB_SET_RANGE`).
    @discardableResult public func seek(atOrAfter key: [UInt8]) throws -> Bool { try move(MDB_SET_RANGE, key: key) }

    /// Moves to the entry whose key equals `key`.
    @discardableResult public func seek(exactly key: [UInt8]) throws -> Bool { try move(MDB_SET, key: key) }

    /// Moves to the last entry whose key is `<= key`, for reverse iteration.
    @discardableResult public func seek(atOrBefore key: [UInt8]) throws -> Bool {
        if try seek(atOrAfter: key) {
            if self.key.compare(key) <= 0 { return true }
            return try previous()
        }
        return try last()
    }


    /// Whether the last move landed on an entry.
    public var isPositioned: Bool { positioned }

    /// The current entry's key, borrowed until the next move.
    public var key: BorrowedBytes {
        precondition(positioned, "cursor is not on an entry")
        return BorrowedBytes(UnsafeRawBufferPointer(start: currentKey.mv_data, count: currentKey.mv_size))
    }

    /// The current entry's value, borrowed until the next move.
    public var value: BorrowedBytes {
        precondition(positioned, "cursor is not on an entry")
        return BorrowedBytes(UnsafeRawBufferPointer(start: currentValue.mv_data, count: currentValue.mv_size))
    }

    /// Deletes the current entry (write transactions only).
    public func deleteCurrent() throws {
        guard let handle else { preconditionFailure("cursor used after its transaction closure") }
        precondition(positioned, "cursor is not on an entry")
        try transaction.recordBeforeCursorDelete(database, key: UnsafeRawBufferPointer(start: currentKey.mv_data, count: currentKey.mv_size),
                                                 value: UnsafeRawBufferPointer(start: currentValue.mv_data, count: currentValue.mv_size))
        try check(mdb_cursor_del(handle, 0), "cursor delete")
        positioned = false
    }
}
