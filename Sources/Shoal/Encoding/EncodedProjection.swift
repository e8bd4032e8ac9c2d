/// Projections applied to the encoding: when every projected path names a whole top-level
/// attribute (the common `ProjectionExpression` and every `AttributesToGet`), the result is a new
/// encoding made of the selected attributes' bytes, copied as they are, never decoded.
extension EncodedItem {
    /// The item restricted to `paths`, or nil when a path reaches inside a value (the caller then
    /// projects the decoded item, which keeps only the projected list elements and map members).
    func projected(_ paths: [DocumentPath]) -> EncodedItem? {
        guard paths.allSatisfy({ $0.elements.count == 1 }) else { return nil }
        let selection = ItemCodec.AttributeSelection(Set(paths.map { AttributeName($0.attribute) }))
        // The bytes were checked when this item was made, so the walk cannot fail.
        return try? EncodedItem.subset(bytes, from: start, selection: selection)
    }

    /// The encoded item at `start` restricted to the selected top-level attributes, in stored order.
    /// - Throws: ShoalError.internalError when the bytes are not a well-formed item.
    static func subset(_ bytes: [UInt8], from start: Int, selection: ItemCodec.AttributeSelection) throws(ShoalError) -> EncodedItem {
        var r = ByteReader(bytes, offset: start)
        let count = try r.varint()
        var ranges: [Range<Int>] = []
        var length = 0
        for _ in 0..<count where ranges.count < selection.names.count {
            let attributeStart = r.offset
            let nameLength = try r.varint()
            let nameStart = r.offset
            try r.skip(nameLength)
            let selected = selection.index(of: bytes, nameStart..<nameStart + nameLength) != nil
            try ItemCodec.skipValue(&r, depth: 0)
            if selected {
                ranges.append(attributeStart..<r.offset)
                length += r.offset - attributeStart
            }
        }
        var writer = ByteWriter(capacity: length + 2)
        writer.varint(ranges.count)
        for range in ranges { writer.bytes.append(contentsOf: bytes[range]) }
        return try checked(writer.bytes, from: 0)
    }
}
