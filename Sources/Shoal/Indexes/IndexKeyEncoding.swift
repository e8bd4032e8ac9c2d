import LMDB

/// The LMDB key of an index entry: `token ‖ partition part ‖ sort part ‖ base digest`.
///
/// - Each key attribute value becomes a *component*: its ordered bytes (``KeyEncoding/orderedBytes(_:)``)
///   with every 0x00 written as 0x00 0xFF, then the terminator 0x00 0x00. Components are
///   order-preserving and prefix-free, so a concatenation of them (a multi-attribute key) sorts as
///   the tuple does, attribute by attribute, and `begins_with` on a component is a byte prefix.
/// - The partition part groups an index partition: one length byte and the components, or, when
///   longer than ``partitionInlineLimit``, the byte 0x80 and a 24-byte digest (readers compare the
///   real values). The token is xxHash64 of the components: Scan order and parallel-scan segments.
/// - The sort part is the components, or, beyond ``sortInlineLimit`` bytes, their first
///   ``sortInlineLimit`` bytes and a digest of all of them. Such a run of equal prefixes is sorted by
///   the real values on read, as for items (see ``KeyEncoding``).
/// - The entry ends with a 24-byte digest of the base item's stored key, so items that share an
///   index key are distinct entries, in a fixed order that a LastEvaluatedKey can resume exactly.
///
/// The entry's value is the base item's stored key (length-prefixed) followed by what the index
/// projects of the item, stored as items are (size, then encoding): a read answers from the entry
/// alone, as DynamoDB's indexes do, unless a local index must fetch non-projected attributes.
/// A key is at most 8 + 121 + 324 + 24 = 477 bytes, under LMDB's 511.
enum IndexKeyEncoding {
    static let partitionInlineLimit = 120
    static let sortInlineLimit = 300
    static let digestSize = KeyEncoding.digestSize
    static let longPartition: UInt8 = 0x80
    static let tokenSeed: UInt64 = 0x49_44_58

    /// Appends one component: the value's ordered bytes, escaped and terminated.
    static func appendComponent(_ value: AttributeValue, to out: inout [UInt8]) {
        for byte in KeyEncoding.orderedBytes(value) {
            out.append(byte)
            if byte == 0 { out.append(0xFF) }
        }
        out.append(0)
        out.append(0)
    }

    /// A component without its terminator: every component that begins with `prefix` starts with these bytes.
    static func prefixComponent(_ value: AttributeValue) -> [UInt8] {
        var out: [UInt8] = []
        appendComponent(value, to: &out)
        out.removeLast(2)
        return out
    }

    static func components(_ values: [AttributeValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 16)
        for value in values { appendComponent(value, to: &out) }
        return out
    }

    /// `token ‖ partition part`: every entry of the index partition, and only those, start with it.
    static func partitionPrefix(_ values: [AttributeValue]) -> [UInt8] {
        let bytes = components(values)
        var w = ByteWriter(capacity: bytes.count + 10)
        w.uint64BigEndian(XXHash64.hash(bytes, seed: tokenSeed))
        if bytes.count <= partitionInlineLimit {
            w.byte(UInt8(bytes.count))
            w.append(bytes)
        } else {
            w.byte(longPartition)
            w.append(KeyEncoding.digest(bytes))
        }
        return w.bytes
    }

    /// The stored sort part of a tuple of sort values (empty for an index without a sort key).
    static func sortPart(_ values: [AttributeValue]) -> [UInt8] {
        let bytes = components(values)
        if bytes.count <= sortInlineLimit { return bytes }
        return Array(bytes[0..<sortInlineLimit]) + KeyEncoding.digest(bytes)
    }

    /// An entry's value: the base item's stored key, then the projected item's stored value.
    static func entryValue(baseKey: [UInt8], projected: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: baseKey.count + projected.count + 2)
        w.lengthPrefixed(baseKey)
        w.append(projected)
        return w.bytes
    }

    /// Where an entry's value holds the base item's stored key and where the projected item's
    /// stored value starts (read without copying either).
    static func entryValueLayout(_ value: [UInt8]) throws(ShoalError) -> (baseKey: Range<Int>, projectedOffset: Int) {
        var r = ByteReader(value)
        let length = try r.varint()
        let start = r.offset
        try r.skip(length)
        return (start..<r.offset, r.offset)
    }

    /// The base item's stored key and the offset of the projected item's stored value.
    static func splitEntryValue(_ value: [UInt8]) throws(ShoalError) -> (baseKey: [UInt8], projectedOffset: Int) {
        let layout = try entryValueLayout(value)
        return (Array(value[layout.baseKey]), layout.projectedOffset)
    }

    /// The last bytes of every entry: which base item it stands for.
    static func baseDigest(_ baseKey: [UInt8]) -> [UInt8] { KeyEncoding.digest(baseKey) }

    static func entryKey(partition: [AttributeValue], sort: [AttributeValue], baseKey: [UInt8]) -> [UInt8] {
        entryKey(partition: partition, sort: sort, baseDigest: baseDigest(baseKey))
    }

    static func entryKey(partition: [AttributeValue], sort: [AttributeValue], baseDigest: [UInt8]) -> [UInt8] {
        partitionPrefix(partition) + sortPart(sort) + baseDigest
    }

    /// A stored key's sort part, or nil when it holds only a prefix of the sort components; then
    /// `run` is the bytes the prefix's run shares.
    static func run(ofEntry key: BorrowedBytes, prefixLength: Int) -> [UInt8]? {
        let sortLength = key.count - prefixLength - digestSize
        guard sortLength > sortInlineLimit else { return nil }
        return key.array(0..<(prefixLength + sortInlineLimit))
    }

    /// A seek position (inclusive) no stored sort part `>= bytes` precedes.
    static func lowerSeek(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count <= sortInlineLimit ? bytes : Array(bytes[0..<sortInlineLimit])
    }

    /// A bound no stored sort part that begins with `bytes` (or holds them truncated) exceeds.
    static func upperBound(_ bytes: [UInt8]) -> [UInt8] {
        let cut = bytes.count <= sortInlineLimit ? bytes : Array(bytes[0..<sortInlineLimit])
        return cut + [UInt8](repeating: 0xFF, count: sortInlineLimit + digestSize + digestSize + 2)
    }
}
