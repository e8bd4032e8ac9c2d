import Foundation
import LMDB

/// A table's time to live as the catalog keeps it (absent while disabled).
struct TimeToLiveState: Sendable, Codable, Equatable {
    var attributeName: String
    /// True while the items stored before it was enabled are being put in the expiry order.
    var backfilling: Bool
}

/// Time to live's rules and each shard's expiry order: `expiry` entries keyed by an item's expiry
/// time, so the expirer finds due items by reading the start of one B-tree instead of scanning
/// tables.
enum ExpiryOrder {
    /// DynamoDB does not delete items whose time is more than five years in the past.
    static let ignoredAge: TimeInterval = 5 * 365 * 24 * 3600

    /// The epoch second an item expires at: its TTL attribute when it is a number of seconds that
    /// is not negative and not more than five years before `now`; nil otherwise (never expires).
    static func expiry(of item: Item?, attribute: String, now: Date) -> UInt64? {
        guard case let .n(number)? = item?[attribute], let seconds = Double(number.description),
              seconds >= 0, seconds < 1e15 else { return nil }
        guard seconds >= now.timeIntervalSince1970 - ignoredAge else { return nil }
        return UInt64(seconds.rounded(.down))
    }

    static func key(expiry: UInt64, tableID: String, itemKey: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 16 + tableID.utf8.count + itemKey.count)
        w.uint64BigEndian(expiry)
        w.lengthPrefixed(tableID)
        w.append(itemKey)
        return w.bytes
    }

    static func parse(_ key: [UInt8]) throws(ShoalError) -> (expiry: UInt64, tableID: String, itemKey: [UInt8]) {
        var r = ByteReader(key)
        let expiry = try r.bytes(count: 8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let tableID = try r.lengthPrefixedString()
        return (expiry, tableID, Array(key[r.offset...]))
    }
}

extension WriteContext {
    /// Moves an item's expiry entry when its expiry time changes (called by ``writeItem``).
    func moveExpiry(_ table: TableStorage, tableID: String, key: [UInt8], old: Item?, new: Item?) throws {
        guard let attribute = table.ttlAttribute, let db = shardExpiry else { return }
        let now = clock.now
        let before = ExpiryOrder.expiry(of: old, attribute: attribute, now: now)
        let after = ExpiryOrder.expiry(of: new, attribute: attribute, now: now)
        guard before != after else { return }
        if let before { try delete(db, key: ExpiryOrder.key(expiry: before, tableID: tableID, itemKey: key)) }
        if let after { try put(db, key: ExpiryOrder.key(expiry: after, tableID: tableID, itemKey: key), value: []) }
    }

    /// Deletes up to `limit` items whose time has come, oldest first, through the write path (the
    /// stream gets a REMOVE by the service). Entries that no longer match their item (changed,
    /// deleted, table gone or its time to live disabled) are dropped on the way.
    /// - Returns: how many entries it looked at, and how many items it deleted.
    func expire(now: Date, limit: Int) throws -> (examined: Int, deleted: Int) {
        guard let db = shardExpiry else { return (0, 0) }
        let nowSeconds = UInt64(max(0, now.timeIntervalSince1970.rounded(.down)))
        var examined = 0
        var deleted = 0
        for (entryKey, _) in try entries(db, after: nil, limit: limit) {
            let (expiry, tableID, itemKey) = try ExpiryOrder.parse(entryKey)
            guard expiry <= nowSeconds else { break }
            examined += 1
            guard let table = try? table(tableID), let attribute = table.ttlAttribute,
                  let bytes = try get(table.items, key: itemKey) else {
                try delete(db, key: entryKey)
                continue
            }
            let (item, size) = try ShardLayout.decodeValue(bytes)
            guard ExpiryOrder.expiry(of: item, attribute: attribute, now: now) == expiry else {
                try delete(db, key: entryKey)
                continue
            }
            // Deletes the entry too.
            try writeItem(table, tableID: tableID, key: itemKey, old: OldItem(item: item, size: size), new: nil, origin: .timeToLive)
            deleted += 1
        }
        return (examined, deleted)
    }

    /// Puts up to `limit` stored items after `key` in the expiry order (enabling time to live on a
    /// table that has items). - Returns: the last item key it looked at, nil at the end.
    func backfillExpiry(_ tableID: String, after key: [UInt8]?, limit: Int) throws -> [UInt8]? {
        let table = try table(tableID)
        guard let attribute = table.ttlAttribute, let db = shardExpiry else { return nil }
        let now = clock.now
        let items = try entries(table.items, after: key, limit: limit)
        for (itemKey, value) in items {
            let (item, _) = try ShardLayout.decodeValue(value)
            if let expiry = ExpiryOrder.expiry(of: item, attribute: attribute, now: now) {
                try put(db, key: ExpiryOrder.key(expiry: expiry, tableID: tableID, itemKey: itemKey), value: [])
            }
        }
        return items.count < limit ? nil : items.last?.key
    }
}
