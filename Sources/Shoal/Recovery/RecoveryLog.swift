import Foundation
import LMDB

/// Point-in-time recovery's log: for each write to a table that keeps one, the stored value the
/// write replaced (none when the item was new), in the same shard and the same LMDB transaction as
/// the write, so it is never out of step with the items.
///
/// The log is an undo log. The table as it was at an instant `T` is its items now, except that an
/// item written after `T` is what its first logged change after `T` replaced (absent when that
/// write created it). So a restore needs no base snapshot, retention is deleting the oldest
/// entries, and the log costs one LMDB put per write, of bytes the write path already holds.
///
/// Key: the write's time in microseconds since the epoch (8 bytes, big-endian), unique and
/// increasing per shard (a second write in the same microsecond takes the next one). Value: the
/// item's stored key (after its length, a varint), then the replaced stored value (empty: none).
enum RecoveryLog {
    static func key(micros: UInt64) -> [UInt8] {
        withUnsafeBytes(of: micros.bigEndian) { Array($0) }
    }

    static func micros(ofKey key: [UInt8]) -> UInt64 {
        key.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    static func micros(_ date: Date) -> UInt64 {
        UInt64(max(0, (date.timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }

    static func encode(itemKey: [UInt8], replaced: [UInt8]?) -> [UInt8] {
        var writer = ByteWriter(capacity: itemKey.count + (replaced?.count ?? 0) + 4)
        writer.varint(itemKey.count)
        writer.append(itemKey)
        if let replaced { writer.append(replaced) }
        return writer.bytes
    }

    /// The item key and the replaced value (nil: the write created the item).
    static func decode(_ value: [UInt8]) throws -> (itemKey: [UInt8], replaced: [UInt8]?) {
        var reader = ByteReader(value)
        let length = try reader.varint()
        let start = reader.offset
        guard length >= 0, value.count - start >= length else { throw ShoalError.internalError("A recovery log entry is damaged") }
        let itemKey = Array(value[start..<start + length])
        return (itemKey, start + length == value.count ? nil : Array(value[(start + length)...]))
    }

    /// Calls `body` with each stored value of one shard's items as they were at `micros`, read in
    /// `txn` (items unchanged since first, in key order; then the ones rewritten since).
    static func forEachValue(at micros: UInt64, items: LMDB.Database, log: LMDB.Database, in txn: Transaction,
                             _ body: ([UInt8]) throws -> Void) throws {
        // Each item written after the instant: what its first write after it replaced.
        var then: [[UInt8]: [UInt8]] = [:]
        try txn.withCursor(log) { cursor in
            var more = try cursor.seek(atOrAfter: key(micros: micros &+ 1))
            while more {
                let (itemKey, replaced) = try decode(cursor.value.array)
                if then[itemKey] == nil { then[itemKey] = replaced ?? [] }
                more = try cursor.next()
            }
        }
        try txn.withCursor(items) { cursor in
            var more = try cursor.first()
            while more {
                if then.isEmpty || then[cursor.key.array] == nil { try body(cursor.value.array) }
                more = try cursor.next()
            }
        }
        for value in then.values where !value.isEmpty { try body(value) }
    }
}

extension WriteContext {
    /// Logs, for point-in-time recovery, that a write replaced `replaced` (nil: the key was new)
    /// under `key`, in this write's unit (undone with it).
    func logRecovery(_ table: TableStorage, key: [UInt8], replaced: [UInt8]?) throws {
        guard let log = table.recoveryLog else { return }
        let value = RecoveryLog.encode(itemKey: key, replaced: replaced)
        var stamp = max(RecoveryLog.micros(clock.now), recoveryStamp &+ 1)
        // After a restart with the clock set back, a stamp may be taken: the next one is free.
        while try !insertIfAbsent(log, key: RecoveryLog.key(micros: stamp), value: value) { stamp += 1 }
        recoveryStamp = stamp
    }

    /// Deletes up to `limit` of the oldest entries of a recovery log stamped before `cutoff`.
    func trimRecoveryLog(_ log: LMDB.Database, before cutoff: UInt64, limit: Int) throws -> Int {
        try deleteLeading(log, limit: limit) { RecoveryLog.micros(ofKey: $0) < cutoff }
    }
}

extension Database {
    /// Calls `body` with each stored value of `table` as it was at `instant` (its recovery log
    /// must cover it), shard by shard, each shard read in one snapshot.
    func forEachStoredValue(_ table: TableHandle, at instant: Date, _ body: ([UInt8]) throws -> Void) throws {
        let micros = RecoveryLog.micros(instant)
        try longReads.during {
            try withSnapshots(shards[...]) { txns in
                for (index, txn) in txns.enumerated() {
                    guard let log = table.storages[index].recoveryLog else {
                        throw ShoalError(.pointInTimeRecoveryUnavailable, "Point in time recovery is not enabled for table '\(table.definition.name)'")
                    }
                    try RecoveryLog.forEachValue(at: micros, items: table.items(index), log: log, in: txn, body)
                }
            }
        }
    }
}
