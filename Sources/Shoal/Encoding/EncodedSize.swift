/// DynamoDB's item size (``ItemValidation/size(of:)-(Item)``) read from an item's encoding,
/// without building the item: stream records report it for images they keep encoded.
extension EncodedItem {
    /// The item's size by DynamoDB's rules.
    var size: Int {
        var r = ByteReader(bytes, offset: start)
        // The bytes were checked when this item was made, so the walk cannot fail.
        return (try? ItemCodec.itemSize(&r)) ?? 0
    }
}

extension ItemCodec {
    /// The size of the encoded item at the reader: each attribute's name and value.
    static func itemSize(_ r: inout ByteReader) throws(ShoalError) -> Int {
        var total = 0
        for _ in 0..<(try boundedCount(&r)) {
            let name = try r.varint()
            try r.skip(name)
            total += name + (try valueSize(&r, depth: 0))
        }
        return total
    }

    /// The size of one encoded value (without its attribute name).
    static func valueSize(_ r: inout ByteReader, depth: Int) throws(ShoalError) -> Int {
        guard depth <= ItemValidation.maxNestingDepth + 1, let tag = Tag(rawValue: try r.byte()) else {
            throw ByteReader.corrupt
        }
        switch tag {
        case .null, .boolFalse, .boolTrue:
            return 1
        case .s, .b:
            let length = try r.varint()
            try r.skip(length)
            return length
        case .n:
            return try NumberEncoding.decode(&r).dynamoSize
        case .ss, .bs:
            var total = 0
            for _ in 0..<(try boundedCount(&r)) {
                let length = try r.varint()
                try r.skip(length)
                total += length
            }
            return total
        case .ns:
            var total = 0
            for _ in 0..<(try boundedCount(&r)) { total += try NumberEncoding.decode(&r).dynamoSize }
            return total
        case .l:
            // Three bytes for the container, one per element, plus the elements (and map keys).
            var total = 3
            for _ in 0..<(try boundedCount(&r)) { total += 1 + (try valueSize(&r, depth: depth + 1)) }
            return total
        case .m:
            var total = 3
            for _ in 0..<(try boundedCount(&r)) {
                let name = try r.varint()
                try r.skip(name)
                total += 1 + name + (try valueSize(&r, depth: depth + 1))
            }
            return total
        }
    }
}

extension ItemValidation {
    /// The size of an item read (from its encoding when it is still a view).
    public static func size(of item: LazyItem) -> Int {
        switch item.storage {
        case .encoded(let encoded): return encoded.size
        case .decoded(let dictionary): return size(of: dictionary)
        }
    }
}
