/// The LMDB key of an item: `token(pk)` (8 bytes, big-endian) ‖ partition part ‖ sort part.
///
/// - The token is xxHash64 of the partition key's bytes (``orderedBytes``) seeded with its type
///   tag (S 1, N 2, B 3): it spreads partitions over the ring and gives Scan its order.
/// - The partition part groups a partition's items: type tag, length and bytes, or, for keys
///   longer than ``partitionInlineLimit``, the tag with bit 7 set and a 24-byte digest (the full
///   key is in the stored item and is checked on read).
/// - The sort part orders items as DynamoDB does: raw UTF-8 or binary bytes, or ``NumberEncoding``.
///   A sort key longer than ``sortInlineLimit`` keeps its first bytes plus a digest; readers sort
///   runs of equal prefixes by the full key so users always see DynamoDB's exact order.
///
/// With these limits a key never exceeds 8 + 122 + 374 = 504 bytes, under LMDB's 511.
enum KeyEncoding {
    static let tokenSize = 8
    static let partitionInlineLimit = 120
    static let sortInlineLimit = 350
    static let digestSize = 24
    static let longFlag: UInt8 = 0x80
    /// Greater than every sort part (whose maximum length is `sortInlineLimit + digestSize`).
    static let sortPartCeiling = [UInt8](repeating: 0xFF, count: sortInlineLimit + digestSize + 1)

    static func typeTag(_ value: AttributeValue) -> UInt8 {
        switch value {
        case .s: return 1
        case .n: return 2
        default: return 3
        }
    }

    /// The bytes whose order is DynamoDB's order for a key value.
    static func orderedBytes(_ value: AttributeValue) -> [UInt8] {
        switch value {
        case .s(let s): return Array(s.utf8)
        case .n(let n): return NumberEncoding.encode(n)
        case .b(let b): return b
        default: preconditionFailure("key attributes are S, N or B")
        }
    }

    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: digestSize)
        for seed: UInt64 in [0x5348_4F41_4C31, 0x5348_4F41_4C32, 0x5348_4F41_4C33] {
            w.uint64BigEndian(XXHash64.hash(bytes, seed: seed))
        }
        return w.bytes
    }

    static func token(_ partition: AttributeValue) -> UInt64 {
        token(tag: typeTag(partition), raw: orderedBytes(partition))
    }

    static func token(tag: UInt8, raw: [UInt8]) -> UInt64 {
        XXHash64.hash(raw, seed: UInt64(tag))
    }

    static func tokenBytes(_ token: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.uint64BigEndian(token)
        return w.bytes
    }

    /// Writes `token ‖ partition part` and returns the token.
    private static func writePartition(_ partition: AttributeValue, into w: inout ByteWriter) -> UInt64 {
        let raw = orderedBytes(partition)
        let tag = typeTag(partition)
        let token = token(tag: tag, raw: raw)
        w.uint64BigEndian(token)
        if raw.count <= partitionInlineLimit {
            w.byte(tag)
            w.byte(UInt8(raw.count))
            w.append(raw)
        } else {
            w.byte(tag | longFlag)
            w.append(digest(raw))
        }
        return token
    }

    /// `token ‖ partition part`: every item of the partition, and only those, start with it.
    static func partitionPrefix(_ partition: AttributeValue) -> [UInt8] {
        var w = ByteWriter(capacity: 40)
        _ = writePartition(partition, into: &w)
        return w.bytes
    }

    /// The stored key of an item and its partition token, built in one buffer.
    static func encode(partition: AttributeValue, sort: AttributeValue?) -> (token: UInt64, key: [UInt8]) {
        var w = ByteWriter(capacity: 64)
        let token = writePartition(partition, into: &w)
        if let sort { w.append(sortPart(sort)) }
        return (token, w.bytes)
    }

    static func sortPart(_ sort: AttributeValue) -> [UInt8] {
        let raw = orderedBytes(sort)
        if raw.count <= sortInlineLimit { return raw }
        return Array(raw[0..<sortInlineLimit]) + digest(raw)
    }

    static func itemKey(partition: AttributeValue, sort: AttributeValue?) -> [UInt8] {
        encode(partition: partition, sort: sort).key
    }

    static func itemKey(_ key: ItemKey) -> [UInt8] { itemKey(partition: key.partition, sort: key.sort) }

    /// Length of `token ‖ partition part` at the start of a stored key.
    static func partitionPrefixLength(tagByte: UInt8, lengthByte: UInt8) -> Int {
        tokenSize + (tagByte & longFlag != 0 ? 1 + digestSize : 2 + Int(lengthByte))
    }

    /// Whether a stored key holds a digest instead of the full partition or sort key.
    static func containsDigest(_ key: [UInt8]) -> Bool {
        guard key.count > tokenSize + 1 else { return false }
        if key[tokenSize] & longFlag != 0 { return true }
        let prefix = partitionPrefixLength(tagByte: key[tokenSize], lengthByte: key[tokenSize + 1])
        return isTruncatedSortPart(length: key.count - prefix)
    }

    /// Whether a stored sort part of this length holds only a prefix of the sort key.
    static func isTruncatedSortPart(length: Int) -> Bool { length > sortInlineLimit }

    /// Where a forward read for sort keys `>= value` must start (a truncated key's run begins at its prefix).
    static func sortLowerSeek(_ value: AttributeValue) -> [UInt8] {
        let raw = orderedBytes(value)
        return raw.count <= sortInlineLimit ? raw : Array(raw[0..<sortInlineLimit])
    }

    /// A sort part bound that no key `<= value` exceeds.
    static func sortUpperBound(_ value: AttributeValue) -> [UInt8] {
        let raw = orderedBytes(value)
        if raw.count <= sortInlineLimit { return raw }
        return Array(raw[0..<sortInlineLimit]) + [UInt8](repeating: 0xFF, count: digestSize + 1)
    }

    /// DynamoDB's order of two key values of the same type: bytes for S and B, numeric for N.
    static func compare(_ a: AttributeValue, _ b: AttributeValue) -> Int {
        switch (a, b) {
        case let (.n(x), .n(y)): return Number.compare(x, y)
        case let (.s(x), .s(y)): return compareBytes(Array(x.utf8), Array(y.utf8))
        case let (.b(x), .b(y)): return compareBytes(x, y)
        default: return Int(typeTag(a)) - Int(typeTag(b))
        }
    }

    static func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for i in 0..<min(a.count, b.count) where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

/// An item's primary key values.
struct ItemKey: Sendable, Hashable {
    var partition: AttributeValue
    var sort: AttributeValue?

    func asItem(_ schema: PrimaryKey) -> Item {
        var item: Item = [AttributeName(schema.partition.name): partition]
        if let sortPart = schema.sort, let sort { item[sortPart.name] = sort }
        return item
    }
}
