import Foundation
import LMDB

/// An item about to be stored: the item, its stored value and its DynamoDB size.
struct NewItem {
    let item: Item
    let value: [UInt8]
    let size: Int

    init(_ item: Item, size: Int) {
        self.item = item
        self.size = size
        value = ShardLayout.encodeValue(item: item, size: size)
    }

    init(item: Item, value: [UInt8], size: Int) {
        self.item = item
        self.value = value
        self.size = size
    }
}

/// The item a write replaces, as read in the same transaction.
struct OldItem {
    let item: Item
    let size: Int
}

extension WriteContext {
    /// The one place an item changes: writes `new` (or deletes the item when nil) under `key` and
    /// brings every index of the table into step — an entry inserted, moved when its index key
    /// changed, rewritten when only what it projects changed, deleted, or left alone when nothing
    /// it holds changed — and the size totals, all in this write's unit of the group transaction.
    ///
    /// `old` must be the item currently stored under `key`, decoded (read in this unit).
    /// - Throws: `ValidationException` when `new` has an index key attribute of the wrong type,
    ///   empty or too large; nothing is written then.
    /// - Returns: the write capacity units each index consumed.
    /// `origin`: who makes the write, which decides its stream record (see ``WriteOrigin``).
    @discardableResult
    func writeItem(_ table: TableStorage, tableID: String, key: [UInt8], old: OldItem?, new: NewItem?,
                   origin: WriteOrigin) throws -> ConsumedCapacity {
        // Every index key is checked before anything is written.
        var moves: [(index: ShardIndex, old: [UInt8]?, new: [UInt8]?)] = []
        moves.reserveCapacity(table.indexes.count)
        let digest = table.indexes.isEmpty ? [] : IndexKeyEncoding.baseDigest(key)
        for index in table.indexes {
            let newEntry = try new.flatMap { (n: NewItem) throws(ShoalError) in try index.rules.entryKey(of: n.item, baseDigest: digest) }
            // A stored item was valid when written; an index added since may still not accept it.
            let oldEntry = try? old.flatMap { (o: OldItem) throws(ShoalError) in try index.rules.entryKey(of: o.item, baseDigest: digest) }
            moves.append((index, oldEntry ?? nil, newEntry))
        }
        var replaced: [UInt8]?
        if let new {
            replaced = try put(table.items, key: key, value: new.value)
        } else if old != nil {
            replaced = try delete(table.items, key: key)
        }
        if table.recoveryLog != nil, origin.recordsRecovery, new != nil || replaced != nil {
            try logRecovery(table, key: key, replaced: replaced)
        }
        noteItemWrite(tableID: tableID, key: key)
        addSize((new?.size ?? 0) - (old?.size ?? 0), table: tableID)
        var capacity = ConsumedCapacity()
        var itemChanged: Bool?
        for move in moves {
            let rules = move.index.rules
            // When the entry key stays (both items exist): whether what the entry holds changed.
            var projectionChanged = false
            if let entry = move.old, entry == move.new {
                if rules.projected == nil {
                    if itemChanged == nil { itemChanged = old!.item != new!.item }
                    projectionChanged = itemChanged!
                } else {
                    projectionChanged = rules.project(old!.item) != rules.project(new!.item)
                }
            }
            let units = rules.writeUnits(old: old, new: new, oldEntry: move.old, newEntry: move.new, projectionChanged: projectionChanged)
            if units > 0 { capacity.add(index: rules.name, global: rules.definition.isGlobal, units: units) }
            func entryValue() -> [UInt8] {
                IndexKeyEncoding.entryValue(baseKey: key, projected: rules.projectedValue(of: new!.item, storedValue: new!.value))
            }
            if move.index.rules.definition.status == .creating {
                // Being backfilled: an entry may not exist yet, so count what is really there.
                var delta = 0
                if let oldEntry = move.old, try delete(move.index.db, key: oldEntry) != nil {
                    delta -= move.index.rules.entrySize(of: old!.item, itemSize: old!.size)
                }
                if let newEntry = move.new {
                    try put(move.index.db, key: newEntry, value: entryValue())
                    delta += move.index.rules.entrySize(of: new!.item, itemSize: new!.size)
                }
                addSize(delta, table: tableID, index: move.index.id)
                continue
            }
            if move.old != move.new {
                if let oldEntry = move.old { try delete(move.index.db, key: oldEntry) }
                if let newEntry = move.new { try put(move.index.db, key: newEntry, value: entryValue()) }
            } else if let entry = move.new, projectionChanged {
                try put(move.index.db, key: entry, value: entryValue())
            }
            let before = move.old == nil ? 0 : move.index.rules.entrySize(of: old!.item, itemSize: old!.size)
            let after = move.new == nil ? 0 : move.index.rules.entrySize(of: new!.item, itemSize: new!.size)
            addSize(after - before, table: tableID, index: move.index.id)
        }
        try moveExpiry(table, tableID: tableID, key: key, old: old?.item, new: new?.item)
        if origin.recordsStream, let stream = table.stream, let event = StreamRecordCodec.change(old: old?.item, new: new?.item) {
            let image = (new?.item ?? old?.item)!
            var keys = Item(minimumCapacity: 2)
            for name in stream.primaryKey.names { keys[AttributeName(name)] = image[name] }
            try appendRecord(stream, value: StreamRecordCodec.encode(event: event, time: clock.now, keys: keys, old: old?.item,
                                                                      new: new?.item, viewType: stream.viewType, byService: origin.byService))
        }
        return capacity
    }

    /// The fast path of a put on a table without indexes: one B-tree descent when the key is new,
    /// without reading the item first.
    /// - Returns: the bytes it replaced, or nil when the key was new.
    func replaceItem(_ table: TableStorage, tableID: String, key: [UInt8], new: NewItem) throws -> [UInt8]? {
        precondition(!table.needsOldImage, "a table with indexes must write through writeItem")
        let old = try put(table.items, key: key, value: new.value)
        try logRecovery(table, key: key, replaced: old)
        noteItemWrite(tableID: tableID, key: key)
        let oldSize = try old.map { try ShardLayout.storedSize($0) } ?? 0
        addSize(new.size - oldSize, table: tableID)
        return old
    }

    /// The fast path of a delete on a table without indexes: the item need not be decoded.
    func removeItem(_ table: TableStorage, tableID: String, key: [UInt8], size: Int, origin: WriteOrigin) throws {
        precondition(!table.needsOldImage(for: origin), "a table with indexes, expiry or a stream must write through writeItem")
        let replaced = try delete(table.items, key: key)
        if origin.recordsRecovery, replaced != nil { try logRecovery(table, key: key, replaced: replaced) }
        noteItemWrite(tableID: tableID, key: key)
        addSize(-size, table: tableID)
    }

    /// Indexes stored items into a new index (backfill); an entry already written by a concurrent
    /// write is left as it is. Decodes only what the index holds of each item.
    func backfill(_ index: ShardIndex, tableID: String, items: [(key: [UInt8], value: [UInt8])]) throws {
        var added = 0
        for (key, value) in items {
            var reader = ByteReader(value)
            let size = try reader.varint()
            let item = try ItemCodec.decode(value, from: reader.offset, only: index.rules.entrySelection)
            // DynamoDB leaves out items whose index key has the wrong type; so does the backfill.
            guard let entry = try? index.rules.entryKey(of: item, baseKey: key) else { continue }
            let entryValue = IndexKeyEncoding.entryValue(baseKey: key, projected: index.rules.projectedValue(of: item, storedValue: value))
            if try insertIfAbsent(index.db, key: entry, value: entryValue) {
                added += index.rules.entrySize(of: item, itemSize: size)
            }
        }
        addSize(added, table: tableID, index: index.id)
    }
}
