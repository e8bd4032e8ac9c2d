import LMDB

/// An item read from an items database, shaped for the response.
struct StoredEntry {
    var key: ItemKey
    var size: Int
    /// What the response gets: the item (filtered and projected), or nil when the filter dropped it.
    var result: LazyItem?
    /// For a truncated sort key, the stored bytes its run shares (see ``PageAssembler``).
    var run: [UInt8]?
    /// On an index read: the entry's place in index order, and its LastEvaluatedKey.
    var position: IndexPosition?
    /// On a local index read that fetched the base item: the item's size (read from the table).
    var fetchedSize = 0
}

/// Where an index entry sorts: by its index sort values, then by the digest of its base key.
struct IndexPosition {
    var sort: [AttributeValue]
    var digest: [UInt8]
    /// The table's and the index's key attributes of the entry (or of the ExclusiveStartKey),
    /// `keyValues[i]` being `keyNames[i]`'s value.
    var keyNames: [AttributeName]
    var keyValues: [AttributeValue]

    /// The LastEvaluatedKey of a page ending here. Built on demand: only a page's last entry needs it.
    var keyItem: Item {
        var key = Item(minimumCapacity: keyNames.count)
        for (name, value) in zip(keyNames, keyValues) { key[name] = value }
        return key
    }

    static func compare(_ a: IndexPosition, _ b: IndexPosition) -> Int {
        for (x, y) in zip(a.sort, b.sort) {
            let c = KeyEncoding.compare(x, y)
            if c != 0 { return c }
        }
        return KeyEncoding.compareBytes(a.digest, b.digest)
    }
}

/// Assembles one page of Query or Scan results from entries in stored order.
///
/// Stored order is DynamoDB's order except within a run of sort keys that share a truncated
/// prefix (see ``KeyEncoding``): such a run is held back and sorted by the full key. Entries then
/// count against the page budget (`Limit`, 1 MB); those the filter kept become the items.
struct PageAssembler {
    private let ascending: Bool
    private let countOnly: Bool
    private var budget: PageBudget
    private var pending: [StoredEntry] = []
    private var pendingRun: [UInt8] = []
    private(set) var items: [LazyItem] = []
    private(set) var matched = 0
    private(set) var lastKey: ItemKey?
    private(set) var lastPosition: IndexPosition?
    private(set) var stoppedEarly = false
    /// The sizes of the base items a local index read fetched from the table.
    private(set) var fetchedBytes = 0

    init(ascending: Bool, limit: Int?, countOnly: Bool) {
        self.ascending = ascending
        self.countOnly = countOnly
        budget = PageBudget(limit: limit)
    }

    /// The bytes shared by a run of truncated sort keys, or nil when the key is stored whole.
    static func run(of key: BorrowedBytes) -> [UInt8]? {
        guard key.count > KeyEncoding.tokenSize + 1 else { return nil }
        let prefix = KeyEncoding.partitionPrefixLength(tagByte: key[KeyEncoding.tokenSize], lengthByte: key[KeyEncoding.tokenSize + 1])
        guard KeyEncoding.isTruncatedSortPart(length: key.count - prefix) else { return nil }
        return key.array(0..<(prefix + KeyEncoding.sortInlineLimit))
    }

    var isFull: Bool { budget.isFull }
    var scannedCount: Int { budget.evaluated }
    var scannedBytes: Int { budget.bytes }

    /// Adds the next entry in stored order. - Returns: false once the page is complete.
    mutating func add(_ entry: StoredEntry) -> Bool {
        if let run = entry.run {
            if !pending.isEmpty && run != pendingRun {
                guard flush() else { return false }
            }
            pendingRun = run
            pending.append(entry)
            return true
        }
        guard flush() else { return false }
        return take(entry)
    }

    /// Completes the page; afterwards `stoppedEarly` says whether a LastEvaluatedKey is due.
    mutating func finish() {
        if !stoppedEarly { _ = flush() }
        if budget.isFull { stoppedEarly = true }
    }

    private mutating func flush() -> Bool {
        guard !pending.isEmpty else { return true }
        let ascending = self.ascending
        let run = pending.sorted { a, b in
            let c = if let x = a.position, let y = b.position { IndexPosition.compare(x, y) }
                else { KeyEncoding.compare(a.key.sort ?? .null, b.key.sort ?? .null) }
            return ascending ? c < 0 : c > 0
        }
        pending.removeAll()
        for entry in run {
            guard take(entry) else { return false }
        }
        return true
    }

    private mutating func take(_ entry: StoredEntry) -> Bool {
        guard budget.admits(size: entry.size) else {
            stoppedEarly = true
            return false
        }
        budget.record(size: entry.size)
        fetchedBytes += entry.fetchedSize
        lastKey = entry.key
        lastPosition = entry.position
        if let shaped = entry.result {
            matched += 1
            if !countOnly { items.append(shaped) }
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
