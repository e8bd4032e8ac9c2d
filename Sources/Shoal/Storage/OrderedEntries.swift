import LMDB

/// An item read from an items database, shaped for the response.
struct StoredEntry {
    var key: ItemKey
    var size: Int
    /// What the response gets: the item (filtered and projected), or nil when the filter dropped it.
    var result: Item?
    /// For a truncated sort key, the stored bytes its run shares (see ``RunOrderer``).
    var run: [UInt8]?
}

/// Puts entries into DynamoDB's exact order where the stored order is only approximate: a run
/// of sort keys that share a truncated prefix (see ``KeyEncoding``) is sorted by the full key.
/// Every other entry passes straight through.
struct RunOrderer {
    let ascending: Bool
    private var pending: [StoredEntry] = []
    private var pendingRun: [UInt8] = []

    init(ascending: Bool) { self.ascending = ascending }

    /// The bytes shared by a run of truncated sort keys, or nil when the key is stored whole.
    static func run(of key: BorrowedBytes) -> [UInt8]? {
        guard key.count > KeyEncoding.tokenSize + 1 else { return nil }
        let prefix = KeyEncoding.partitionPrefixLength(tagByte: key[KeyEncoding.tokenSize], lengthByte: key[KeyEncoding.tokenSize + 1])
        guard KeyEncoding.isTruncatedSortPart(length: key.count - prefix) else { return nil }
        return key.array(0..<(prefix + KeyEncoding.sortInlineLimit))
    }

    /// Adds an entry in stored order; calls `emit` for entries whose place is settled.
    /// - Returns: false as soon as `emit` returns false (the reader should stop).
    mutating func add(_ entry: StoredEntry, emit: (StoredEntry) throws -> Bool) rethrows -> Bool {
        if let run = entry.run {
            if run == pendingRun || pending.isEmpty {
                pendingRun = run
                pending.append(entry)
                return true
            }
            guard try flush(emit: emit) else { return false }
            pendingRun = run
            pending.append(entry)
            return true
        }
        guard try flush(emit: emit) else { return false }
        return try emit(entry)
    }

    /// Emits the pending run, sorted by full sort key.
    mutating func flush(emit: (StoredEntry) throws -> Bool) rethrows -> Bool {
        guard !pending.isEmpty else { return true }
        let ascending = self.ascending
        let run = pending.sorted { a, b in
            let c = KeyEncoding.compare(a.key.sort ?? .null, b.key.sort ?? .null)
            return ascending ? c < 0 : c > 0
        }
        pending.removeAll()
        pendingRun = []
        for entry in run {
            guard try emit(entry) else { return false }
        }
        return true
    }
}

/// DynamoDB's page accounting for Query and Scan: `Limit` evaluated items, or 1 MB of data.
struct PageBudget {
    static let maxPageBytes = 1024 * 1024
    let limit: Int?
    private(set) var evaluated = 0
    private(set) var bytes = 0

    init(limit: Int?) { self.limit = limit }

    /// Whether an item of `size` bytes still fits on this page.
    func admits(size: Int) -> Bool {
        if let limit, evaluated >= limit { return false }
        return evaluated == 0 || bytes + size <= PageBudget.maxPageBytes
    }

    mutating func record(size: Int) {
        evaluated += 1
        bytes += size
    }

    var isFull: Bool {
        if let limit, evaluated >= limit { return true }
        return false
    }
}
