import LMDB

/// A validated Scan of a secondary index: its entries in stored order (token order of the index
/// partition, as a table Scan), merged over every shard, each answered from its base item.
struct IndexScanPlan {
    let read: IndexRead
    let limit: Int?
    let consistent: Bool
    let segment: ScanSegment
    /// The stored key of the entry the page continues after.
    let startAfter: [UInt8]?

    init(handle: TableHandle, request: ScanRequest, indexName: String) throws(ShoalError) {
        let rules = try IndexRead.index(handle, named: indexName, consistentRead: request.consistentRead)
        try PageBudget.checkLimit(request.limit)
        limit = request.limit
        consistent = request.consistentRead
        var input = try request.expressionInput()
        read = try IndexRead(rules: rules, schema: handle.key, read: request.readParameters, input: &input, keysInFilter: true)
        try input.finish()
        segment = try ScanSegment(segment: request.segment, totalSegments: request.totalSegments)
        if let start = request.exclusiveStartKey {
            let entryKey = try read.startPosition(start).entryKey
            guard segment.contains(token: entryKey) else {
                throw .validation("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
            }
            startAfter = entryKey
        } else {
            startAfter = nil
        }
    }

    func run(_ txns: [Transaction], storages: [TableStorage]) throws -> ScanResponse {
        let seek = startAfter ?? KeyEncoding.tokenBytes(segment.tokenStart)
        var cursors = try read.openCursors(txns, storages)
        defer { cursors.removeAll() }
        var live: [Bool] = []
        for cursor in cursors {
            var positioned = try cursor.seek(atOrAfter: seek)
            if positioned, let startAfter, cursor.key.compare(startAfter) == 0 { positioned = try cursor.next() }
            live.append(positioned && segment.admits(cursor.key))
        }
        var page = PageAssembler(ascending: true, limit: limit, countOnly: read.shaping.countOnly)
        while true {
            guard let best = CursorMerge.leading(cursors, live: live) else { break }
            let cursor = cursors[best]
            let digest = cursor.key.array(max(0, cursor.key.count - IndexKeyEncoding.digestSize)..<cursor.key.count)
            // Scan order is stored order, so no run is re-sorted.
            if let entry = try read.entry(value: cursor.value.array, items: storages[best].items, txn: txns[best], run: nil,
                                          entryDigest: digest, accept: { _, _ in true }) {
                guard page.add(entry), !page.isFull else { break }
            }
            live[best] = try cursor.next() && segment.admits(cursor.key)
        }
        page.finish()
        return ScanResponse(capacity: read.capacity(page, consistent: consistent),
                            items: page.items, count: page.matched, scannedCount: page.scannedCount,
                            lastEvaluatedKey: page.stoppedEarly ? page.lastPosition?.keyItem : nil)
    }
}

/// A parallel Scan's segment: `[i·2⁶⁴/n, (i+1)·2⁶⁴/n)` of the token space.
struct ScanSegment {
    let tokenStart: UInt64
    /// Exclusive end; nil means the end of the token space.
    let tokenEnd: UInt64?
    private let endBytes: [UInt8]?

    init(segment: Int?, totalSegments: Int?) throws(ShoalError) {
        switch (segment, totalSegments) {
        case (nil, nil):
            tokenStart = 0
            tokenEnd = nil
        case (.some, nil):
            throw .validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        case (nil, .some):
            throw .validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        case let (.some(segment), .some(total)):
            guard (1...1_000_000).contains(total) else {
                throw .validation("1 validation error detected: Value '\(total)' at 'totalSegments' failed to satisfy constraint: Member must have value \(total < 1 ? "greater than or equal to 1" : "less than or equal to 1000000")")
            }
            guard segment >= 0 else {
                throw .validation("1 validation error detected: Value '\(segment)' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0")
            }
            guard segment < total else {
                throw .validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: \(segment) is not less than TotalSegments: \(total)")
            }
            let space = UInt128(1) << 64
            tokenStart = UInt64(space * UInt128(segment) / UInt128(total))
            tokenEnd = segment + 1 == total ? nil : UInt64(space * UInt128(segment + 1) / UInt128(total))
        }
        endBytes = tokenEnd.map(KeyEncoding.tokenBytes)
    }

    func contains(token: UInt64) -> Bool {
        token >= tokenStart && (tokenEnd.map { token < $0 } ?? true)
    }

    /// Whether a stored key (token first) lies in the segment.
    func contains(token key: [UInt8]) -> Bool {
        guard key.count >= KeyEncoding.tokenSize else { return false }
        let token = key.prefix(KeyEncoding.tokenSize).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return contains(token: token)
    }

    /// Whether a stored key the cursor reached (at or after the start) is before the segment's end.
    func admits(_ key: BorrowedBytes) -> Bool {
        guard let endBytes else { return true }
        return key.compare(endBytes) < 0
    }
}

extension Database {
    func scanIndex(_ handle: TableHandle, _ request: ScanRequest, indexName: String) throws(ShoalError) -> ScanResponse {
        let plan = try IndexScanPlan(handle: handle, request: request, indexName: indexName)
        return try runSync {
            try withSnapshots(of: Array(shards.indices)) { txns in
                try plan.run(txns, storages: handle.storages)
            }
        }
    }
}
