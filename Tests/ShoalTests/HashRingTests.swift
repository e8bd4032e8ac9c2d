import Testing
@testable import Shoal

@Suite struct HashRingTests {
    private func tokens(_ count: Int) -> [UInt64] {
        (0..<count).map { KeyEncoding.token(.s("user-\($0)-\($0 &* 7919)")) }
    }

    @Test(arguments: [2, 4, 8])
    func balanceOverRandomKeys(shards: Int) {
        let ring = HashRing(shardCount: shards)
        var counts = [Int](repeating: 0, count: shards)
        for token in tokens(100_000) { counts[ring.shard(for: token)] += 1 }
        let mean = 100_000.0 / Double(shards)
        let ratio = Double(counts.max()!) / mean
        #expect(ratio <= 1.10, "max/mean \(ratio), counts \(counts)")
    }

    @Test(arguments: [1, 3, 4, 7])
    func addingAShardMovesOnlyItsShare(shards: Int) {
        let before = HashRing(shardCount: shards)
        let after = HashRing(shardCount: shards + 1)
        let all = tokens(100_000)
        var moved = 0
        for token in all {
            let old = before.shard(for: token)
            let new = after.shard(for: token)
            if old != new {
                moved += 1
                // Keys only ever move to the new shard.
                #expect(new == shards)
            }
        }
        let fraction = Double(moved) / Double(all.count)
        let ideal = 1.0 / Double(shards + 1)
        #expect(abs(fraction - ideal) <= 0.02, "moved \(fraction), ideal \(ideal)")
    }

    @Test func lookupWrapsAroundTheRing() {
        let ring = HashRing(shardCount: 3)
        // Past the last point a token belongs to the first point, as does token 0
        // (no point sits at UInt64.max for these shard names).
        #expect(ring.shard(for: UInt64.max) == ring.shard(for: 0))
        #expect((0..<3).contains(ring.shard(for: UInt64.max)))
        #expect(HashRing(shardCount: 3) == ring)
    }
}
