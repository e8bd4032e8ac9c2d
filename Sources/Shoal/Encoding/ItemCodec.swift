/// Shoal's compact binary form of an item: a varint attribute count, then per attribute its
/// length-prefixed UTF-8 name and its value.
///
/// A value is a type tag then its payload: strings and binaries length-prefixed, numbers in
/// ``NumberEncoding``, sets and lists a varint count then members, maps like items.
public enum ItemCodec {
    /// On-disk type tags. Never reorder or delete: stored data depends on them.
    enum Tag: UInt8 {
        case null = 0
        case boolFalse = 1
        case boolTrue = 2
        case s = 3
        case n = 4
        case b = 5
        case ss = 6
        case ns = 7
        case bs = 8
        case l = 9
        case m = 10
    }

    public static func encode(_ item: Item) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        encodeMap(item, into: &w)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ShoalError) -> Item {
        try decode(bytes, from: 0)
    }

    static func decode(_ bytes: [UInt8], from offset: Int) throws(ShoalError) -> Item {
        var r = ByteReader(bytes, offset: offset)
        let item = try decodeMap(&r, depth: 0)
        guard r.isAtEnd else { throw ByteReader.corrupt }
        return item
    }

    private static func encodeMap(_ map: Item, into w: inout ByteWriter) {
        w.varint(map.count)
        // Dictionary order: readers look attributes up by name, so no order is needed on disk.
        for (name, value) in map {
            w.lengthPrefixed(name.string)
            encodeValue(value, into: &w)
        }
    }

    static func encodeValue(_ value: AttributeValue, into w: inout ByteWriter) {
        switch value {
        case .null:
            w.byte(Tag.null.rawValue)
        case .bool(let v):
            w.byte(v ? Tag.boolTrue.rawValue : Tag.boolFalse.rawValue)
        case .s(let v):
            w.byte(Tag.s.rawValue)
            w.lengthPrefixed(v)
        case .n(let v):
            w.byte(Tag.n.rawValue)
            NumberEncoding.encode(v, into: &w)
        case .b(let v):
            w.byte(Tag.b.rawValue)
            w.lengthPrefixed(v)
        case .ss(let v):
            w.byte(Tag.ss.rawValue)
            w.varint(v.count)
            for s in v { w.lengthPrefixed(s) }
        case .ns(let v):
            w.byte(Tag.ns.rawValue)
            w.varint(v.count)
            for n in v { NumberEncoding.encode(n, into: &w) }
        case .bs(let v):
            w.byte(Tag.bs.rawValue)
            w.varint(v.count)
            for b in v { w.lengthPrefixed(b) }
        case .l(let v):
            w.byte(Tag.l.rawValue)
            w.varint(v.count)
            for e in v { encodeValue(e, into: &w) }
        case .m(let v):
            w.byte(Tag.m.rawValue)
            encodeMap(v, into: &w)
        }
    }

    private static func decodeMap<Source: ByteSource>(_ r: inout SourceReader<Source>, depth: Int) throws(ShoalError) -> Item {
        let count = try r.varint()
        guard count <= r.bytes.count else { throw ByteReader.corrupt }
        var map = Item(minimumCapacity: count)
        for _ in 0..<count {
            let name = try r.lengthPrefixedString()
            // The encoder never writes a name twice: two are corruption, not "last one wins".
            guard map.updateValue(try decodeValue(&r, depth: depth), forKey: AttributeName(name)) == nil else {
                throw ByteReader.corrupt
            }
        }
        return map
    }

    static func decodeValue<Source: ByteSource>(_ r: inout SourceReader<Source>, depth: Int) throws(ShoalError) -> AttributeValue {
        guard depth <= ItemValidation.maxNestingDepth + 1, let tag = Tag(rawValue: try r.byte()) else {
            throw ByteReader.corrupt
        }
        switch tag {
        case .null: return .null
        case .boolFalse: return .bool(false)
        case .boolTrue: return .bool(true)
        case .s: return .s(try r.lengthPrefixedString())
        case .n: return .n(try NumberEncoding.decode(&r))
        case .b: return .b(try r.lengthPrefixed())
        case .ss:
            let count = try boundedCount(&r)
            var v: [String] = []
            v.reserveCapacity(count)
            for _ in 0..<count { v.append(try r.lengthPrefixedString()) }
            return .ss(v)
        case .ns:
            let count = try boundedCount(&r)
            var v: [Number] = []
            v.reserveCapacity(count)
            for _ in 0..<count { v.append(try NumberEncoding.decode(&r)) }
            return .ns(v)
        case .bs:
            let count = try boundedCount(&r)
            var v: [[UInt8]] = []
            v.reserveCapacity(count)
            for _ in 0..<count { v.append(try r.lengthPrefixed()) }
            return .bs(v)
        case .l:
            let count = try boundedCount(&r)
            var v: [AttributeValue] = []
            v.reserveCapacity(count)
            for _ in 0..<count { v.append(try decodeValue(&r, depth: depth + 1)) }
            return .l(v)
        case .m:
            return .m(try decodeMap(&r, depth: depth + 1))
        }
    }

    static func boundedCount<Source: ByteSource>(_ r: inout SourceReader<Source>) throws(ShoalError) -> Int {
        let count = try r.varint()
        // Every member takes at least one byte.
        guard count <= r.bytes.count - r.offset else { throw ByteReader.corrupt }
        return count
    }

    // MARK: Partial decoding

    /// Top-level attribute names to decode, with their UTF-8 bytes for matching without allocating.
    struct AttributeSelection: Sendable {
        let names: [(name: AttributeName, bytes: [UInt8])]

        init(_ names: Set<AttributeName>) {
            self.names = names.sorted().map { ($0, Array($0.utf8)) }
        }
    }

    /// Decodes only the selected top-level attributes, skipping the others without building them.
    static func decode(_ bytes: [UInt8], from offset: Int, only selection: AttributeSelection) throws(ShoalError) -> Item {
        var r = ByteReader(bytes, offset: offset)
        let count = try r.varint()
        var item = Item(minimumCapacity: selection.names.count)
        var found = 0
        for _ in 0..<count {
            let length = try r.varint()
            let start = r.offset
            try r.skip(length)
            var match: AttributeName?
            if let index = selection.index(of: bytes, start..<start + length) { match = selection.names[index].name }
            if let match {
                guard item.updateValue(try decodeValue(&r, depth: 0), forKey: match) == nil else { throw ByteReader.corrupt }
                found += 1
                if found == selection.names.count { break }
            } else {
                try skipValue(&r, depth: 0)
            }
        }
        return item
    }

    /// Moves past one encoded value.
    static func skipValue<Source: ByteSource>(_ r: inout SourceReader<Source>, depth: Int) throws(ShoalError) {
        guard depth <= ItemValidation.maxNestingDepth + 1, let tag = Tag(rawValue: try r.byte()) else {
            throw ByteReader.corrupt
        }
        switch tag {
        case .null, .boolFalse, .boolTrue:
            return
        case .s, .b:
            try r.skip(try r.varint())
        case .n:
            try skipNumber(&r)
        case .ss, .bs:
            for _ in 0..<(try boundedCount(&r)) { try r.skip(try r.varint()) }
        case .ns:
            for _ in 0..<(try boundedCount(&r)) { try skipNumber(&r) }
        case .l:
            for _ in 0..<(try boundedCount(&r)) { try skipValue(&r, depth: depth + 1) }
        case .m:
            for _ in 0..<(try boundedCount(&r)) {
                try r.skip(try r.varint())
                try skipValue(&r, depth: depth + 1)
            }
        }
    }

    private static func skipNumber<Source: ByteSource>(_ r: inout SourceReader<Source>) throws(ShoalError) {
        let cls = try r.byte()
        if cls == NumberEncoding.zeroClass { return }
        let terminator: UInt8 = cls == NumberEncoding.negativeClass ? 0xFF : 0
        _ = try r.byte()
        while try r.byte() != terminator {}
    }
}
