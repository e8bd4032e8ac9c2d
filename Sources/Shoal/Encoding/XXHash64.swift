/// xxHash64 (Yann Collet's published algorithm), used for partition tokens and key digests.
///
/// Fixed and seedable, unlike Swift's `Hasher` (seeded per process), so tokens are stable
/// across runs and machines. Checked against the reference test vectors in the tests.
enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    static func hash(_ input: [UInt8], seed: UInt64 = 0) -> UInt64 {
        input.withUnsafeBufferPointer { hash($0, seed: seed) }
    }

    static func hash(_ p: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let length = p.count
        var index = 0
        var h: UInt64
        if length >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while index + 32 <= length {
                v1 = round(v1, read64(p, index))
                v2 = round(v2, read64(p, index + 8))
                v3 = round(v3, read64(p, index + 16))
                v4 = round(v4, read64(p, index + 24))
                index += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h &+= UInt64(length)
        while index + 8 <= length {
            h ^= round(0, read64(p, index))
            h = rotl(h, 27) &* prime1 &+ prime4
            index += 8
        }
        if index + 4 <= length {
            h ^= UInt64(read32(p, index)) &* prime1
            h = rotl(h, 23) &* prime2 &+ prime3
            index += 4
        }
        while index < length {
            h ^= UInt64(p[index]) &* prime5
            h = rotl(h, 11) &* prime1
            index += 1
        }
        h ^= h >> 33
        h &*= prime2
        h ^= h >> 29
        h &*= prime3
        h ^= h >> 32
        return h
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* prime1 &+ prime4
    }

    @inline(__always) private static func read64(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(p[i + k]) << (8 * UInt64(k)) }
        return v
    }

    @inline(__always) private static func read32(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(p[i + k]) << (8 * UInt32(k)) }
        return v
    }
}
