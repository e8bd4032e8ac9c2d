/// A stored item read in place: the bytes of its ``ItemCodec`` encoding (one copy out of the
/// LMDB page), from which single attributes are decoded on demand and whole responses are
/// rendered without building a dictionary.
///
/// Made only by ``checked(_:from:)``, which walks the encoding once (bounds, tags, UTF-8), so
/// every later read of the same bytes succeeds.
struct EncodedItem: Sendable {
    /// The stored value: ``ItemCodec``'s map starts at `start` (a size prefix may come before it).
    let bytes: [UInt8]
    let start: Int

    private init(bytes: [UInt8], start: Int) {
        self.bytes = bytes
        self.start = start
    }

    /// The encoded item at `start` in `bytes`, after checking its whole structure.
    /// - Throws: ShoalError.internalError when the bytes are not a well-formed item.
    static func checked(_ bytes: [UInt8], from start: Int) throws(ShoalError) -> EncodedItem {
        var r = ByteReader(bytes, offset: start)
        try ItemCodec.checkMap(&r, depth: 0)
        guard r.isAtEnd else { throw ByteReader.corrupt }
        return EncodedItem(bytes: bytes, start: start)
    }

    /// The encoded item at `start`, checked as ``checked(_:from:)`` does, and its key attributes,
    /// found in the same walk.
    static func checked(_ bytes: [UInt8], from start: Int, key schema: PrimaryKey) throws(ShoalError) -> (item: EncodedItem, key: ItemKey) {
        var r = ByteReader(bytes, offset: start)
        let count = try r.varint()
        guard count <= r.bytes.count - r.offset else { throw ByteReader.corrupt }
        let partitionText = schema.partition.name
        let sortText = schema.sort?.name ?? ""
        let hasSort = schema.sort != nil
        let partitionName = partitionText.utf8.span
        let sortName = sortText.utf8.span
        let span = bytes.span
        var partitionOffset: Int?
        var sortOffset: Int?
        for _ in 0..<count {
            let name = try ItemCodec.checkString(&r)
            if partitionOffset == nil, Bytewise.equal(span.extracting(name), partitionName) {
                partitionOffset = r.offset
            } else if hasSort, sortOffset == nil, Bytewise.equal(span.extracting(name), sortName) {
                sortOffset = r.offset
            }
            try ItemCodec.checkValue(&r, depth: 0)
        }
        guard r.isAtEnd, let partitionOffset, (sortOffset != nil) == (schema.sort != nil) else { throw ByteReader.corrupt }
        var reader = ByteReader(bytes, offset: partitionOffset)
        let partition = try ItemCodec.decodeValue(&reader, depth: 0)
        var sort: AttributeValue?
        if let sortOffset {
            reader = ByteReader(bytes, offset: sortOffset)
            sort = try ItemCodec.decodeValue(&reader, depth: 0)
        }
        return (EncodedItem(bytes: bytes, start: start), ItemKey(partition: partition, sort: sort))
    }

    /// The encoding of `item` (for items built in memory, e.g. by tests and literals).
    init(encoding item: Item) {
        self.init(bytes: ItemCodec.encode(item), start: 0)
    }

    /// The number of attributes.
    var count: Int {
        var r = ByteReader(bytes, offset: start)
        return (try? r.varint()) ?? 0
    }

    /// The attributes' name ranges and value offsets in stored order, found by one walk that
    /// builds nothing.
    var attributes: AttributeWalk { AttributeWalk(self) }

    /// The offset of the value of the attribute named `name`, or nil.
    func valueOffset(of name: AttributeName) -> Int? {
        let text = name.string
        let wanted = text.utf8.span
        let span = bytes.span
        for attribute in attributes where Bytewise.equal(span.extracting(attribute.name), wanted) { return attribute.value }
        return nil
    }

    /// The value of the attribute named `name`, decoded, or nil when the item has none.
    func value(of name: AttributeName) -> AttributeValue? {
        guard let offset = valueOffset(of: name) else { return nil }
        var r = ByteReader(bytes, offset: offset)
        return try? ItemCodec.decodeValue(&r, depth: 0)
    }

    /// The attribute names, in stored order.
    var keys: [AttributeName] {
        attributes.map { AttributeName(String(decoding: bytes[$0.name], as: UTF8.self)) }
    }

    /// The whole item as a dictionary.
    var decoded: Item {
        // Checked on creation: decoding cannot fail; an empty item is the impossible fallback.
        (try? ItemCodec.decode(bytes, from: start)) ?? [:]
    }

    /// The item's key attributes, decoded.
    func key(_ schema: PrimaryKey) throws(ShoalError) -> ItemKey {
        guard let partition = value(of: AttributeName(schema.partition.name)) else { throw ByteReader.corrupt }
        var sort: AttributeValue?
        if let sortPart = schema.sort {
            guard let value = value(of: AttributeName(sortPart.name)) else { throw ByteReader.corrupt }
            sort = value
        }
        return ItemKey(partition: partition, sort: sort)
    }
}

/// The walk behind ``EncodedItem/attributes``: each attribute's name range and value offset.
/// The item was checked when it was made, so the walk cannot fail; it ends at the last attribute.
struct AttributeWalk: Sequence, IteratorProtocol {
    private var reader: ByteReader
    private var remaining: Int

    init(_ item: EncodedItem) {
        reader = ByteReader(item.bytes, offset: item.start)
        remaining = (try? reader.varint()) ?? 0
    }

    mutating func next() -> (name: Range<Int>, value: Int)? {
        guard remaining > 0, let length = try? reader.varint() else { return nil }
        let name = reader.offset..<reader.offset + length
        guard (try? reader.skip(length)) != nil else { return nil }
        let value = reader.offset
        guard (try? ItemCodec.skipValue(&reader, depth: 0)) != nil else { return nil }
        remaining -= 1
        return (name, value)
    }
}

extension ItemCodec {
    /// Walks one encoded map as ``decode(_:)`` would, building nothing: every length in bounds,
    /// every tag known, every name and string valid UTF-8, numbers well formed, nesting bounded.
    static func checkMap(_ r: inout ByteReader, depth: Int) throws(ShoalError) {
        let count = try boundedCount(&r)
        for _ in 0..<count {
            _ = try checkString(&r)
            try checkValue(&r, depth: depth)
        }
    }

    static func checkValue(_ r: inout ByteReader, depth: Int) throws(ShoalError) {
        guard depth <= ItemValidation.maxNestingDepth + 1, let tag = Tag(rawValue: try r.byte()) else {
            throw ByteReader.corrupt
        }
        switch tag {
        case .null, .boolFalse, .boolTrue:
            return
        case .s:
            _ = try checkString(&r)
        case .b:
            try r.skip(try r.varint())
        case .n:
            _ = try NumberEncoding.decode(&r)
        case .ss:
            for _ in 0..<(try boundedCount(&r)) { _ = try checkString(&r) }
        case .ns:
            for _ in 0..<(try boundedCount(&r)) { _ = try NumberEncoding.decode(&r) }
        case .bs:
            for _ in 0..<(try boundedCount(&r)) { try r.skip(try r.varint()) }
        case .l:
            for _ in 0..<(try boundedCount(&r)) { try checkValue(&r, depth: depth + 1) }
        case .m:
            try checkMap(&r, depth: depth + 1)
        }
    }

    /// A length-prefixed UTF-8 string, validated without building it when it is ASCII.
    /// - Returns: where its bytes are.
    static func checkString(_ r: inout ByteReader) throws(ShoalError) -> Range<Int> {
        let count = try r.varint()
        guard count <= r.bytes.count - r.offset else { throw ByteReader.corrupt }
        let range = r.offset..<r.offset + count
        // Read through a span: an ArraySlice here costs a retain and a release per string.
        let bytes = r.bytes
        var high: UInt8 = 0
        do {
            let text = bytes.span.extracting(range)
            for i in text.indices { high |= text[i] }
        }
        if high >= 0x80, Bytewise.string(validating: bytes[range]) == nil { throw ByteReader.corrupt }
        r.offset += count
        return range
    }
}
