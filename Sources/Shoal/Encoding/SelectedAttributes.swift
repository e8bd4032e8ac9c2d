/// The few top-level attributes of one stored item that a read step needs (a filter's names and
/// the key), decoded from the stored bytes into an array in the selection's order: no
/// dictionary is built and no name is hashed.
struct SelectedAttributes: AttributeLookup {
    let selection: ItemCodec.AttributeSelection
    let values: [AttributeValue?]

    /// Decodes the selected attributes of the encoded item at `start` in `bytes` (an array, or a
    /// page LMDB lends, read in place), skipping the others.
    /// - Throws: ShoalError.internalError when the bytes are not a well-formed item.
    init<Source: ByteSource>(_ bytes: Source, from start: Int, selection: ItemCodec.AttributeSelection) throws(ShoalError) {
        self.selection = selection
        var values = [AttributeValue?](repeating: nil, count: selection.names.count)
        var r = SourceReader(bytes, offset: start)
        let count = try r.varint()
        var found = 0
        for _ in 0..<count {
            let length = try r.varint()
            let nameStart = r.offset
            try r.skip(length)
            if let index = selection.index(of: bytes, nameStart..<nameStart + length) {
                guard values[index] == nil else { throw ByteReader.corrupt }
                values[index] = try ItemCodec.decodeValue(&r, depth: 0)
                found += 1
                if found == values.count { break }
            } else {
                try ItemCodec.skipValue(&r, depth: 0)
            }
        }
        self.values = values
    }

    func topLevel(_ name: String) -> AttributeValue? {
        let wanted = name.utf8.span
        for (index, candidate) in selection.names.enumerated() where Bytewise.equal(candidate.bytes.span, wanted) {
            return values[index]
        }
        return nil
    }

    /// The item's key, from the selection's key attributes (which must be selected).
    /// - Throws: ShoalError.internalError when a stored item lacks a key attribute.
    func key(_ schema: PrimaryKey) throws(ShoalError) -> ItemKey {
        guard let partition = topLevel(schema.partition.name) else { throw ByteReader.corrupt }
        var sort: AttributeValue?
        if let sortName = schema.sort?.name {
            guard let value = topLevel(sortName) else { throw ByteReader.corrupt }
            sort = value
        }
        return ItemKey(partition: partition, sort: sort)
    }
}

extension ItemCodec.AttributeSelection {
    /// The position of the attribute whose name is `bytes[range]` (an array, or a page LMDB
    /// lends), or nil when it is not selected.
    func index<Source: ByteSource>(of bytes: Source, _ range: Range<Int>) -> Int? {
        candidates: for (index, candidate) in names.enumerated() where candidate.bytes.count == range.count {
            for (offset, byte) in candidate.bytes.enumerated() where bytes[range.lowerBound + offset] != byte {
                continue candidates
            }
            return index
        }
        return nil
    }
}
