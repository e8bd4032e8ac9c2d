import LMDB

/// The k-way merge of the shards' sorted cursors that Scan, an index Scan and a GSI Query share.
enum CursorMerge {
    /// The live cursor whose key comes first in the merge's direction, or nil when none is live.
    static func leading(_ cursors: [Cursor], live: [Bool], ascending: Bool = true) -> Int? {
        var best: Int?
        for i in cursors.indices where live[i] {
            guard let current = best else {
                best = i
                continue
            }
            let c = cursors[i].key.compare(cursors[current].key)
            if ascending ? c < 0 : c > 0 { best = i }
        }
        return best
    }
}
