import LMDB

/// Appends the primitives of Shoal's binary formats.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    mutating func varint(_ value: Int) {
        var v = UInt64(value)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func lengthPrefixed(_ b: [UInt8]) {
        varint(b.count)
        bytes.append(contentsOf: b)
    }

    mutating func lengthPrefixed(_ s: String) {
        var s = s
        s.withUTF8 { u in
            varint(u.count)
            bytes.append(contentsOf: u)
        }
    }

    mutating func uint64BigEndian(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
}

/// Bytes a ``SourceReader`` reads: an array the reader owns, or a page LMDB lends for the
/// length of a read (`BorrowedBytes`, so a filter can reject an item before copying it).
protocol ByteSource {
    var count: Int { get }
    subscript(_ index: Int) -> UInt8 { get }
    /// A copy of `range` (in bounds).
    func copy(_ range: Range<Int>) -> [UInt8]
    /// The string whose UTF-8 is `range` (in bounds), or nil when it is not valid UTF-8.
    func string(_ range: Range<Int>) -> String?
}

extension Array: ByteSource where Element == UInt8 {
    func copy(_ range: Range<Int>) -> [UInt8] { Array(self[range]) }
    func string(_ range: Range<Int>) -> String? { Bytewise.string(validating: self[range]) }
}

extension BorrowedBytes: ByteSource {
    func copy(_ range: Range<Int>) -> [UInt8] { array(range) }
    func string(_ range: Range<Int>) -> String? { Bytewise.string(validating: array(range)[...]) }
}

/// The reader of stored data held in an array, which is what almost every reader reads.
typealias ByteReader = SourceReader<[UInt8]>

extension SourceReader where Source == [UInt8] {
    static var corrupt: ShoalError { storedDataIsCorrupt }
}

let storedDataIsCorrupt = ShoalError.internalError("Stored data is corrupt: unexpected end or malformed encoding")

/// Reads what ``ByteWriter`` wrote; every read is bounds-checked and corrupt data throws.
struct SourceReader<Source: ByteSource> {
    let bytes: Source
    var offset: Int

    init(_ bytes: Source, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() throws(ShoalError) -> UInt8 {
        guard offset < bytes.count else { throw storedDataIsCorrupt }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(ShoalError) -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            guard shift < 63 else { throw storedDataIsCorrupt }
        }
        guard result <= UInt64(Int.max) else { throw storedDataIsCorrupt }
        return Int(result)
    }

    mutating func bytes(count: Int) throws(ShoalError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else { throw storedDataIsCorrupt }
        defer { offset += count }
        return bytes.copy(offset..<offset + count)
    }

    mutating func skip(_ count: Int) throws(ShoalError) {
        guard count >= 0, count <= bytes.count - offset else { throw storedDataIsCorrupt }
        offset += count
    }

    mutating func lengthPrefixed() throws(ShoalError) -> [UInt8] {
        try bytes(count: varint())
    }

    mutating func lengthPrefixedString() throws(ShoalError) -> String {
        let count = try varint()
        guard count >= 0, count <= bytes.count - offset else { throw storedDataIsCorrupt }
        // Stored strings are valid UTF-8; anything else is corruption, never silently repaired.
        guard let text = bytes.string(offset..<offset + count) else { throw storedDataIsCorrupt }
        offset += count
        return text
    }
}
