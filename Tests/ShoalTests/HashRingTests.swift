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

    /// The documented ring, built here from its definition: shard `s` owns the points
    /// xxHash64("shard/s/vnode/v"), and a token belongs to the first point at or after it.
    private func owner(of token: UInt64, shards: Int, virtualNodes: Int) -> Int {
        var best: (point: UInt64, shard: Int)?
        var lowest: (point: UInt64, shard: Int)?
        for shard in 0..<shards {
            for vnode in 0..<virtualNodes {
                let point = XXHash64.hash(Array("shard/\(shard)/vnode/\(vnode)".utf8))
                if point >= token, best.map({ point < $0.point }) ?? true { best = (point, shard) }
                if lowest.map({ point < $0.point }) ?? true { lowest = (point, shard) }
            }
        }
        return (best ?? lowest!).shard
    }

    @Test func lookupFollowsTheDefinitionAndWrapsAround() {
        let ring = HashRing(shardCount: 3, virtualNodes: 16)
        var g = SeededGenerator(seed: 41)
        let probes = [0, 1, UInt64.max - 1, UInt64.max] + (0..<300).map { _ in g.next() }
        for token in probes {
            #expect(ring.shard(for: token) == owner(of: token, shards: 3, virtualNodes: 16), "token \(token)")
        }
        // Past the last point the lookup wraps to the owner of the lowest point.
        #expect(ring.shard(for: UInt64.max) == owner(of: 0, shards: 3, virtualNodes: 16))
    }
}
