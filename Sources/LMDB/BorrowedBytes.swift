#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only view of bytes owned by LMDB (a key or value inside the memory map).
///
/// It is valid only inside the closure or cursor position that produced it: it must not be
/// stored or used after the transaction ends or the cursor moves. Copy with ``array`` to keep it.
public struct BorrowedBytes {
    let buffer: UnsafeRawBufferPointer

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    public var count: Int { buffer.count }
    public var isEmpty: Bool { buffer.isEmpty }

    /// Bounds-checked byte access.
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < buffer.count, "BorrowedBytes index out of range")
        return buffer[index]
    }

    /// A copy that the caller owns.
    public var array: [UInt8] { [UInt8](buffer) }

    /// A copy of `range` that the caller owns.
    public func array(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "BorrowedBytes range out of bounds")
        return [UInt8](UnsafeRawBufferPointer(rebasing: buffer[range]))
    }

    /// Whether these bytes begin with `prefix`.
    public func hasPrefix(_ prefix: [UInt8]) -> Bool {
        guard prefix.count <= buffer.count else { return false }
        return prefix.withUnsafeBytes { p in
            p.isEmpty || memcmpBytes(buffer.baseAddress!, p.baseAddress!, p.count) == 0
        }
    }

    /// Lexicographic byte comparison (as LMDB's default key order): negative, zero or positive.
    public func compare(_ other: [UInt8]) -> Int {
        other.withUnsafeBytes { o in
            let common = min(buffer.count, o.count)
            if common > 0 {
                let c = memcmpBytes(buffer.baseAddress!, o.baseAddress!, common)
                if c != 0 { return c }
            }
            return buffer.count - o.count
        }
    }

    /// Lexicographic comparison with other borrowed bytes.
    public func compare(_ other: BorrowedBytes) -> Int {
        let common = min(buffer.count, other.buffer.count)
        if common > 0 {
            let c = memcmpBytes(buffer.baseAddress!, other.buffer.baseAddress!, common)
            if c != 0 { return c }
        }
        return buffer.count - other.buffer.count
    }

    /// Lexicographic comparison of `self[range]` with `other`.
    public func compare(_ range: Range<Int>, with other: [UInt8]) -> Int {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "BorrowedBytes range out of bounds")
        return BorrowedBytes(UnsafeRawBufferPointer(rebasing: buffer[range])).compare(other)
    }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
    Int(memcmp(a, b, n))
}
