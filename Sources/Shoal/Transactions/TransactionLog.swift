import Foundation
import LMDB

/// The durable side of transactions spanning shards: the commit record and redo on open.
///
/// The shard that commits first (the lowest-numbered participant) writes, in the same LMDB
/// transaction as its own part, a commit record holding the other shards' writes (`D` + id in its
/// `transactions` database). Once that commit is on disk the transaction has happened. Each other
/// shard commits its part together with a marker (`M` + id). Should the process die before every
/// part is committed, opening the directory finds the record and redoes each part whose marker is
/// missing, through the usual write path (indexes, stream records). Records and markers are
/// deleted once every part is committed: the record first, so a marker never goes missing while
/// its record could still be redone.
enum TransactionLog {
    static func recordKey(_ id: [UInt8]) -> [UInt8] { [UInt8(ascii: "D")] + id }
    static func markerKey(_ id: [UInt8]) -> [UInt8] { [UInt8(ascii: "M")] + id }

    /// A write of the record: the shard it belongs to and the item's new stored value (nil deletes it).
    struct Entry: Equatable {
        let shard: Int
        let tableID: String
        let key: [UInt8]
        let value: [UInt8]?
    }

    static func encode(_ entries: [Entry]) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.byte(1)
        w.varint(entries.count)
        for entry in entries {
            w.varint(entry.shard)
            w.lengthPrefixed(entry.tableID)
            w.lengthPrefixed(entry.key)
            if let value = entry.value {
                w.byte(1)
                w.lengthPrefixed(value)
            } else {
                w.byte(0)
            }
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(ShoalError) -> [Entry] {
        var r = ByteReader(bytes)
        guard try r.byte() == 1 else { throw .internalError("Unknown transaction record version") }
        let count = try r.varint()
        var entries: [Entry] = []
        for _ in 0..<count {
            let shard = try r.varint()
            let tableID = try r.lengthPrefixedString()
            let key = try r.lengthPrefixed()
            let value = try r.byte() == 1 ? try r.lengthPrefixed() : nil
            entries.append(Entry(shard: shard, tableID: tableID, key: key, value: value))
        }
        return entries
    }
}

extension WriteContext {
    /// The shard's `transactions` database. - Throws: when the shard has none (read-only).
    var transactionsDatabase: LMDB.Database {
        get throws {
            guard let db = shardTransactions else { throw ShoalError.internalError("This shard cannot record transactions") }
            return db
        }
    }

    /// Redoes this shard's part of a recorded transaction unless its marker says it committed.
    func redo(_ entries: [TransactionLog.Entry], id: [UInt8]) throws {
        let db = try transactionsDatabase
        guard try get(db, key: TransactionLog.markerKey(id)) == nil else { return }
        for entry in entries {
            // A table deleted since has nothing left to redo.
            guard let table = try? table(entry.tableID) else { continue }
            let old = try get(table.items, key: entry.key).map { bytes -> OldItem in
                let (item, size) = try ShardLayout.decodeValue(bytes)
                return OldItem(item: item, size: size)
            }
            let new = try entry.value.map { value -> NewItem in
                let (item, size) = try ShardLayout.decodeValue(value)
                return NewItem(item: item, value: value, size: size)
            }
            try writeItem(table, tableID: entry.tableID, key: entry.key, old: old, new: new, origin: .transactionRedo)
        }
    }

    /// Up to `limit` keys of the `transactions` database starting with `prefix`.
    func transactionKeys(prefix: UInt8, limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        try entries(try transactionsDatabase, after: [prefix], limit: limit).filter { $0.key.first == prefix }
    }
}

extension Database {
    /// Completes the transactions a crash interrupted (see ``TransactionLog``). Runs on open,
    /// before anything else writes.
    func recoverTransactions() throws {
        guard !options.readOnly else { return }
        for shard in shards {
            while true {
                let records = try shard.writer.performSync { try $0.transactionKeys(prefix: UInt8(ascii: "D"), limit: 64) }
                if records.isEmpty { break }
                for (key, value) in records {
                    let id = Array(key.dropFirst())
                    let entries = try TransactionLog.decode(value)
                    for target in Set(entries.map(\.shard)).sorted() where shards.indices.contains(target) {
                        let part = entries.filter { $0.shard == target }
                        try shards[target].writer.performSync { try $0.redo(part, id: id) }
                    }
                    _ = try shard.writer.performSync { context in
                        try context.delete(try context.transactionsDatabase, key: key)
                    }
                }
            }
        }
        // No record is left: every marker is obsolete.
        for shard in shards {
            while true {
                let deleted = try shard.writer.performSync { context -> Int in
                    let markers = try context.transactionKeys(prefix: UInt8(ascii: "M"), limit: 1024)
                    for marker in markers { try context.delete(try context.transactionsDatabase, key: marker.key) }
                    return markers.count
                }
                if deleted == 0 { break }
            }
        }
    }
}
