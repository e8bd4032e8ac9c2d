import CLMDB
import Synchronization

/// Undo records of an environment's writes, kept while snapshots of it exist: before a write
/// transaction changes a key it appends, in the same transaction, what the key held (or that it
/// was absent), and it notes the named databases it creates or deletes. Rolling back to a
/// sequence number applies the records from that number on in reverse, so the cost of a rollback
/// follows what changed since, not the size of the environment.
///
/// Records live in the environment's own named database ``name``, keyed by a big-endian sequence
/// number that only grows; a record is `kind (1) | name length (2) | name | key length (4) | key | value`.
final class UndoJournal: Sendable {
    static let name = "~undo-journal"

    enum Kind: UInt8 {
        /// The key was absent: undo deletes it.
        case absent = 0
        /// The key held the record's value: undo writes it back.
        case value = 1
        /// The named database was created: undo deletes it.
        case created = 2
        /// The named database was deleted: undo creates it (its entries have records of their own).
        case deleted = 3
    }

    let db: Database
    private let next: Mutex<UInt64>

    init(db: Database, next: UInt64) {
        self.db = db
        self.next = Mutex(next)
    }

    /// The sequence number the next record gets.
    var nextSequence: UInt64 { next.withLock { $0 } }

    func takeSequence() -> UInt64 {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }

    static func encode(_ kind: Kind, name: String, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        var record: [UInt8] = []
        record.reserveCapacity(7 + nameBytes.count + key.count + (value?.count ?? 0))
        record.append(kind.rawValue)
        record.append(UInt8(nameBytes.count >> 8))
        record.append(UInt8(nameBytes.count & 0xFF))
        record += nameBytes
        for shift in stride(from: 24, through: 0, by: -8) { record.append(UInt8((key.count >> shift) & 0xFF)) }
        record += key
        if let value { record += value }
        return record
    }

    struct Record {
        var kind: Kind
        var name: String
        var key: [UInt8]
        var value: [UInt8]
    }

    static func decode(_ bytes: [UInt8]) throws -> Record {
        guard bytes.count >= 7, let kind = Kind(rawValue: bytes[0]) else { throw LMDBError(code: MDB_CORRUPTED, context: "undo record") }
        let nameCount = Int(bytes[1]) << 8 | Int(bytes[2])
        guard bytes.count >= 7 + nameCount else { throw LMDBError(code: MDB_CORRUPTED, context: "undo record") }
        let name = String(decoding: bytes[3..<(3 + nameCount)], as: UTF8.self)
        var offset = 3 + nameCount
        let keyCount = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        offset += 4
        guard bytes.count >= offset + keyCount else { throw LMDBError(code: MDB_CORRUPTED, context: "undo record") }
        return Record(kind: kind, name: name, key: Array(bytes[offset..<(offset + keyCount)]),
                      value: Array(bytes[(offset + keyCount)...]))
    }

    static func sequenceKey(_ sequence: UInt64) -> [UInt8] {
        (0..<8).map { UInt8((sequence >> (56 - 8 * UInt64($0))) & 0xFF) }
    }

    static func sequence(of key: [UInt8]) -> UInt64 {
        key.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Environment {
    /// The sequence number the next undo record gets (nil: this environment keeps no journal).
    public var undoJournalPosition: UInt64? { journal?.nextSequence }

    /// Undoes every write journaled from sequence number `mark` on, newest first, and removes
    /// those records, in one transaction (all or nothing). Call it on an environment opened
    /// without a journal. - Returns: how many records were applied.
    @discardableResult
    public func rollBackJournal(to mark: UInt64) throws -> Int {
        try write { txn in
            guard let journalDB = try txn.openDatabase(named: UndoJournal.name) else { return 0 }
            var keys: [[UInt8]] = []
            try txn.withCursor(journalDB) { cursor in
                var more = try cursor.seek(atOrAfter: UndoJournal.sequenceKey(mark))
                while more {
                    keys.append(cursor.key.array)
                    more = try cursor.next()
                }
            }
            var opened: [String: Database] = [:]
            func database(_ name: String, create: Bool) throws -> Database? {
                if let db = opened[name] { return db }
                let db = try txn.openDatabase(named: name.isEmpty ? nil : name, create: create)
                opened[name] = db
                return db
            }
            for key in keys.reversed() {
                guard let bytes = try txn.get(journalDB, key: key) else { continue }
                let record = try UndoJournal.decode(bytes)
                switch record.kind {
                case .absent:
                    if let db = try database(record.name, create: false) { try txn.delete(db, key: record.key) }
                case .value:
                    try txn.put(try database(record.name, create: true)!, key: record.key, value: record.value)
                case .created:
                    if let db = try database(record.name, create: false) {
                        try txn.drop(db, delete: true)
                        opened[record.name] = nil
                    }
                case .deleted:
                    _ = try database(record.name, create: true)
                }
                try txn.delete(journalDB, key: key)
            }
            return keys.count
        }
    }

    /// Removes the undo records before sequence number `mark` (no snapshot needs them any more);
    /// with `mark` nil, the whole journal. Call it on an environment opened without a journal.
    public func trimJournal(before mark: UInt64?) throws {
        try write { txn in
            guard let journalDB = try txn.openDatabase(named: UndoJournal.name) else { return }
            guard let mark else { return try txn.drop(journalDB, delete: true) }
            var keys: [[UInt8]] = []
            try txn.withCursor(journalDB) { cursor in
                var more = try cursor.first()
                while more, UndoJournal.sequence(of: cursor.key.array) < mark {
                    keys.append(cursor.key.array)
                    more = try cursor.next()
                }
            }
            for key in keys { try txn.delete(journalDB, key: key) }
        }
    }

    /// Whether the environment holds an undo journal (kept or left over).
    public func hasJournal() throws -> Bool {
        try read { try $0.openDatabase(named: UndoJournal.name) != nil }
    }

    /// Opens (creating) the journal and returns it, its next sequence at least `next`.
    func openJournal(nextAtLeast next: UInt64) throws -> UndoJournal {
        try write { txn in
            let db = try txn.openDatabase(named: UndoJournal.name, create: true)!
            var last: UInt64?
            try txn.withCursor(db) { cursor in
                if try cursor.last() { last = UndoJournal.sequence(of: cursor.key.array) }
            }
            return UndoJournal(db: db, next: max(next, (last ?? 0) + 1))
        }
    }
}
