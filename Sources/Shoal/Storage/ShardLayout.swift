import LMDB

/// Names and small encodings inside a shard environment (`DIR/shards/NNN/`).
///
/// - `items:<tableID>`: the table's items, keyed by ``KeyEncoding``; each value is the item's
///   DynamoDB size as a varint followed by its ``ItemCodec`` bytes.
/// - `index:<tableID>:<indexID>`: a secondary index's entries, keyed by ``IndexKeyEncoding``;
///   each value is the base item's stored key.
/// - `stream:<streamID>`: a change stream's records in this shard, keyed by the shard's record
///   counter (8 bytes, big-endian; see ``StreamRecordCodec``). It outlives its table until retention ends.
/// - `stream:<streamID>@<index>` (shard 0 only): the records a shrinking reshard took from the
///   removed storage shard `index`, keyed the same way (see ``StreamLineage``).
/// - `recovery:<tableID>:<logID>`: the table's point-in-time recovery log while recovery is on:
///   the image each write replaced, keyed by the write's time (see ``RecoveryLog``).
/// - `stats`: `size:<tableID>` → the table's total item bytes in this shard, and
///   `size:<tableID>:<indexID>` → the index's total entry bytes by DynamoDB's rules (8 bytes, big-endian);
///   `stream-counter` → the last stream record counter this shard used; `trimmed:<streamID>`
///   (and `trimmed:<streamID>@<index>` for an archive) → the newest record counter retention trimmed.
/// - `transactions`: the commit records of transactions spanning shards (see ``TransactionLog``):
///   `D` + id → the writes of the other shards (in the shard that commits first), `M` + id → an
///   empty marker saying this shard committed its part.
/// - `expiry`: items by expiry time for time to live (see ``ExpiryOrder``): 8-byte big-endian
///   epoch seconds, the table id (length-prefixed) and the item's key → empty.
enum ShardLayout {
    static let transactionsName = "transactions"
    static let expiryName = "expiry"
    static let itemsPrefix = "items:"
    static let indexPrefix = "index:"
    static let statisticsName = "stats"
    static let streamPrefix = "stream:"
    static let recoveryPrefix = "recovery:"
    static let streamCounterKey = Array("stream-counter".utf8)

    static func itemsName(_ tableID: String) -> String { itemsPrefix + tableID }
    static func indexName(_ tableID: String, _ indexID: String) -> String { indexPrefix + tableID + ":" + indexID }
    static func streamName(_ streamID: String) -> String { streamPrefix + streamID }
    static func recoveryName(_ tableID: String, _ logID: String) -> String { recoveryPrefix + tableID + ":" + logID }
    static func archiveName(_ streamID: String, _ index: Int) -> String { streamPrefix + streamID + "@" + String(index) }
    /// The stream id and storage shard index of an archive database's name.
    static func archive(ofName name: String) -> (streamID: String, index: Int)? {
        guard name.hasPrefix(streamPrefix) else { return nil }
        let parts = name.dropFirst(streamPrefix.count).split(separator: "@")
        guard parts.count == 2, let index = Int(parts[1]) else { return nil }
        return (String(parts[0]), index)
    }
    /// In `stats`: the counter of the newest record retention trimmed from a stream in this shard
    /// (with `archive`: from that archive).
    static func trimHorizonKey(_ streamID: String, archive: Int? = nil) -> [UInt8] {
        Array("trimmed:\(streamID)\(archive.map { "@\($0)" } ?? "")".utf8)
    }
    static func sizeKey(_ tableID: String) -> [UInt8] { Array("size:\(tableID)".utf8) }
    static func indexSizeKey(_ tableID: String, _ indexID: String) -> [UInt8] { Array("size:\(tableID):\(indexID)".utf8) }

    /// A size total a write group changes: a table's items, or one of its indexes.
    struct SizeCounter: Hashable {
        var tableID: String
        var indexID: String?

        var key: [UInt8] { indexID.map { ShardLayout.indexSizeKey(tableID, $0) } ?? ShardLayout.sizeKey(tableID) }
    }

    static func encodeInt(_ value: Int) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.uint64BigEndian(UInt64(bitPattern: Int64(value)))
        return w.bytes
    }

    static func decodeInt(_ bytes: [UInt8]) -> Int {
        guard bytes.count == 8 else { return 0 }
        var v: UInt64 = 0
        for b in bytes { v = v << 8 | UInt64(b) }
        return Int(Int64(bitPattern: v))
    }

    /// The stored value of an item: its size, then its encoding.
    static func encodeValue(item: Item, size: Int) -> [UInt8] {
        var w = ByteWriter(capacity: size + 16)
        w.varint(size)
        w.append(ItemCodec.encode(item))
        return w.bytes
    }

    /// The size recorded in a stored value, without decoding the item.
    static func storedSize(_ value: [UInt8]) throws(ShoalError) -> Int {
        var r = ByteReader(value)
        return try r.varint()
    }

    static func decodeValue(_ value: [UInt8]) throws(ShoalError) -> (item: Item, size: Int) {
        var r = ByteReader(value)
        let size = try r.varint()
        return (try ItemCodec.decode(value, from: r.offset), size)
    }
}
