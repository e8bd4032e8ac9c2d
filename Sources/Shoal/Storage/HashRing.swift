/// A consistent-hash ring with virtual nodes: maps a partition token to a shard.
///
/// Each shard owns `virtualNodes` points at xxHash64("shard/<s>/vnode/<v>"). A token belongs to
/// the first point at or after it (wrapping). Adding shard N leaves every existing point in
/// place, so only the tokens that fall to the new shard's points move: about 1/(N+1) of them.
public struct HashRing: Sendable, Equatable {
    public let shardCount: Int
    public let virtualNodes: Int
    private let points: [UInt64]
    private let owners: [Int]

    public static let defaultVirtualNodes = 512

    public init(shardCount: Int, virtualNodes: Int = HashRing.defaultVirtualNodes) {
        precondition(shardCount >= 1 && virtualNodes >= 1, "a ring needs at least one shard and one point each")
        self.shardCount = shardCount
        self.virtualNodes = virtualNodes
        var entries: [(point: UInt64, shard: Int)] = []
        entries.reserveCapacity(shardCount * virtualNodes)
        for shard in 0..<shardCount {
            for vnode in 0..<virtualNodes {
                entries.append((XXHash64.hash(Array("shard/\(shard)/vnode/\(vnode)".utf8)), shard))
            }
        }
        // Ties (astronomically unlikely) resolve by shard number so the ring is deterministic.
        entries.sort { $0.point != $1.point ? $0.point < $1.point : $0.shard < $1.shard }
        points = entries.map(\.point)
        owners = entries.map(\.shard)
    }

    /// The shard that owns `token`.
    public func shard(for token: UInt64) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid] < token { low = mid + 1 } else { high = mid }
        }
        return owners[low == points.count ? 0 : low]
    }
}
