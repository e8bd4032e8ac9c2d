import Foundation
import LMDB

/// One item's change over a span of time, as an incremental export reports it.
public struct ItemChange: Sendable {
    /// The item's key attributes.
    public var keys: Item
    /// The item at the start of the span (nil: it did not exist).
    public var oldImage: Item?
    /// The item at the end of the span (nil: deleted).
    public var newImage: Item?
    /// Its last write in the span.
    public var writeTime: Date
}

extension RecoveryLog {
    /// Calls `body` with each item of one shard written at or after `from` and before `to`: its
    /// stored key, its stored value just before `from` and just before `to` (nil: absent), and the
    /// stamp of its last write in the span.
    static func forEachChange(from: UInt64, to: UInt64, items: LMDB.Database, log: LMDB.Database, in txn: Transaction,
                              _ body: (_ key: [UInt8], _ old: [UInt8]?, _ new: [UInt8]?, _ stamp: UInt64) throws -> Void) throws {
        var order: [[UInt8]] = []
        var span: [[UInt8]: (old: [UInt8]?, last: UInt64)] = [:]
        // What the first write at or after `to` replaced (the item just before `to`).
        var after: [[UInt8]: [UInt8]?] = [:]
        try txn.withCursor(log) { cursor in
            var more = try cursor.seek(atOrAfter: key(micros: from))
            while more {
                let stamp = micros(ofKey: cursor.key.array)
                let (itemKey, replaced) = try decode(cursor.value.array)
                if stamp < to {
                    if span[itemKey] == nil {
                        span[itemKey] = (replaced, stamp)
                        order.append(itemKey)
                    } else {
                        span[itemKey]!.last = stamp
                    }
                } else if span[itemKey] != nil, after[itemKey] == nil {
                    after[itemKey] = .some(replaced)
                }
                more = try cursor.next()
            }
        }
        for itemKey in order {
            let (old, last) = span[itemKey]!
            let new: [UInt8]? = try after[itemKey] ?? txn.get(items, key: itemKey)
            guard old != nil || new != nil else { continue }
            try body(itemKey, old, new, last)
        }
    }
}

extension Database {
    /// The span a table's point-in-time recovery covers now: from its earliest restorable instant
    /// to now. - Throws: `TableNotFoundException`, or `PointInTimeRecoveryUnavailableException`.
    public func pointInTimeWindow(tableName: String) throws(ShoalError) -> (earliest: Date, latest: Date) {
        let name = Database.tableName(fromNameOrArn: tableName)
        guard let handle = lookup(name) else { throw ShoalError(.tableNotFoundException, "Table not found: \(name)") }
        guard let recovery = handle.definition.pointInTimeRecovery else {
            throw ShoalError(.pointInTimeRecoveryUnavailable, "Point in time recovery is not enabled for table '\(name)'")
        }
        return recovery.window(now: options.clock.now)
    }

    /// Every item of a table as it was at `instant` (which its recovery window must cover), from
    /// one view of every shard: what an export at a point in time writes.
    public func forEachItem(tableName: String, at instant: Date, _ body: (Item) throws -> Void) throws(ShoalError) {
        let table = try handle(tableName)
        let window = try pointInTimeWindow(tableName: tableName)
        guard instant >= window.earliest, instant <= window.latest else {
            throw ShoalError(.validation, "\(Database.iso8601(instant)) is outside the point-in-time recovery window of \(tableName)")
        }
        try runSync { try forEachStoredValue(table, at: instant) { try body(try ShardLayout.decodeValue($0).item) } }
    }

    /// Each item of a table written at or after `from` and before `to` (both in its recovery
    /// window), with its images just before each: what an incremental export writes.
    public func forEachChange(tableName: String, from: Date, to: Date, _ body: (ItemChange) throws -> Void) throws(ShoalError) {
        let table = try handle(tableName)
        let window = try pointInTimeWindow(tableName: tableName)
        guard from >= window.earliest, to <= window.latest, from < to else {
            throw ShoalError(.validation, "\(Database.iso8601(from))–\(Database.iso8601(to)) is not a span inside the point-in-time recovery window of \(tableName)")
        }
        let keyNames = table.definition.primaryKey.names
        let (start, end) = (RecoveryLog.micros(from), RecoveryLog.micros(to))
        try runSync {
            try longReads.during {
                try withSnapshots(shards[...]) { txns in
                    for (index, txn) in txns.enumerated() {
                        guard let log = table.storages[index].recoveryLog else { continue }
                        try RecoveryLog.forEachChange(from: start, to: end, items: table.items(index), log: log, in: txn) { _, old, new, stamp in
                            let oldItem = try old.map { try ShardLayout.decodeValue($0).item }
                            let newItem = try new.map { try ShardLayout.decodeValue($0).item }
                            let image = (newItem ?? oldItem)!
                            var keys = Item(minimumCapacity: keyNames.count)
                            for name in keyNames { keys[AttributeName(name)] = image[name] }
                            try body(ItemChange(keys: keys, oldImage: oldItem, newImage: newItem,
                                                writeTime: Date(timeIntervalSince1970: Double(stamp) / 1_000_000)))
                        }
                    }
                }
            }
        }
    }
}
