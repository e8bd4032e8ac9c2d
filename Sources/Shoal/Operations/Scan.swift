import LMDB

public struct ScanRequest: Sendable {
    public var tableName: String
    public var limit: Int?
    public var exclusiveStartKey: Item?
    /// Parallel scan: this worker's segment, with `totalSegments`.
    public var segment: Int?
    public var totalSegments: Int?
    public var select: Select?
    public var consistentRead: Bool
    /// Applied after `Limit` counts evaluated items.
    public var filterExpression: String?
    public var filter: Condition?
    public var scanFilter: [AttributeName: LegacyCondition]?
    /// Scan this secondary index instead of the table.
    public var indexName: String?
    public var conditionalOperator: ConditionalOperator?
    public var projectionExpression: String?
    public var projection: [DocumentPath]?
    public var attributesToGet: [String]?
    public var expressionAttributeNames: [String: String]?
    public var expressionAttributeValues: [String: AttributeValue]?

    public init(tableName: String, limit: Int? = nil, exclusiveStartKey: Item? = nil, segment: Int? = nil,
                totalSegments: Int? = nil, select: Select? = nil, consistentRead: Bool = false,
                filterExpression: String? = nil, filter: Condition? = nil, scanFilter: [AttributeName: LegacyCondition]? = nil,
                conditionalOperator: ConditionalOperator? = nil, projectionExpression: String? = nil,
                projection: [DocumentPath]? = nil, attributesToGet: [String]? = nil,
                expressionAttributeNames: [String: String]? = nil, expressionAttributeValues: [String: AttributeValue]? = nil,
                indexName: String? = nil) {
        self.tableName = tableName
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.segment = segment
        self.totalSegments = totalSegments
        self.select = select
        self.consistentRead = consistentRead
        self.filterExpression = filterExpression
        self.filter = filter
        self.scanFilter = scanFilter
        self.conditionalOperator = conditionalOperator
        self.projectionExpression = projectionExpression
        self.projection = projection
        self.attributesToGet = attributesToGet
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.indexName = indexName
    }
}

public struct ScanResponse: Sendable, Equatable {
    /// Read capacity units by DynamoDB's rules (`ReturnConsumedCapacity`).
    public var consumedCapacity: Double { capacity.total }
    /// The units split between the table and the index read (`ReturnConsumedCapacity: INDEXES`).
    public var capacity = ConsumedCapacity()
    public var items: [LazyItem]
    public var count: Int
    public var scannedCount: Int
    public var lastEvaluatedKey: Item?
}

extension Database {
    /// DynamoDB's Scan: every item in token order (the order of partition-key hashes, as in
    /// DynamoDB), in pages of `Limit` items or 1 MB. Segment `i` of `n` covers the token range
    /// `[i·2⁶⁴/n, (i+1)·2⁶⁴/n)` over all shards, so each item is in exactly one segment.
    public func scan(_ request: ScanRequest) async throws(ShoalError) -> ScanResponse {
        let handle = try handle(request.tableName)
        if let indexName = request.indexName {
            return try await withReadCapacity(handle, index: indexName, \.capacity) { () throws(ShoalError) in try scanIndex(handle, request, indexName: indexName) }
        }
        let plan = try ScanPlan(handle: handle, request: request)
        return try await withReadCapacity(handle, \.capacity) { () throws(ShoalError) in
            try runSync {
                try withSnapshots(shards[...]) { txns in
                    var cursors: [Cursor] = []
                    defer { cursors.removeAll() }
                    for (index, txn) in txns.enumerated() {
                        cursors.append(try txn.openCursor(handle.items(index)))
                    }
                    return try plan.run(cursors)
                }
            }
        }
    }
}

/// A validated Scan.
struct ScanPlan {
    let schema: PrimaryKey
    let limit: Int?
    let consistent: Bool
    let shaping: ReadShaping
    let tokenStart: UInt64
    /// Exclusive end of the segment's token range; nil means the end of the token space.
    let tokenEnd: UInt64?
    let start: ItemKey?
    let totalSegments: Int?

    init(handle: TableHandle, request: ScanRequest) throws(ShoalError) {
        schema = handle.key
        totalSegments = request.totalSegments
        try PageBudget.checkLimit(request.limit)
        limit = request.limit
        consistent = request.consistentRead
        let read = request.readParameters
        var input = try request.expressionInput()
        shaping = try read.shaping(schema: schema, input: &input, keysInFilter: true)
        try input.finish()
        let segment = try ScanSegment(segment: request.segment, totalSegments: request.totalSegments)
        tokenStart = segment.tokenStart
        tokenEnd = segment.tokenEnd
        if let esk = request.exclusiveStartKey {
            do {
                start = try schema.key(fromKey: esk)
            } catch {
                throw .validation("The provided starting key is invalid: \(error.message)")
            }
            if let start {
                let token = KeyEncoding.token(start.partition)
                if token < tokenStart || (tokenEnd.map { token >= $0 } ?? false) {
                    throw .validation("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
                }
            }
        } else {
            start = nil
        }
    }

    /// Whether the entry comes after the exclusive start key in scan order.
    private func isAfterStart(_ entry: StoredEntry, storedKey: BorrowedBytes, startKey: [UInt8]) -> Bool {
        guard let start else { return true }
        if entry.key.partition == start.partition {
            guard let sort = entry.key.sort, let startSort = start.sort else { return false }
            return KeyEncoding.compare(sort, startSort) > 0
        }
        // Different partitions: their stored prefixes differ, so the bytes decide.
        return storedKey.compare(startKey) > 0
    }

    func run(_ cursors: [Cursor]) throws -> ScanResponse {
        var seek = KeyEncoding.tokenBytes(tokenStart)
        var startKey: [UInt8] = []
        if let start {
            startKey = KeyEncoding.itemKey(start)
            let startSeek = KeyEncoding.partitionPrefix(start.partition) + (start.sort.map(KeyEncoding.sortLowerSeek) ?? [])
            if KeyEncoding.compareBytes(startSeek, seek) > 0 { seek = startSeek }
        }
        let endBytes = tokenEnd.map(KeyEncoding.tokenBytes)
        var live: [Bool] = []
        for cursor in cursors {
            var positioned = try cursor.seek(atOrAfter: seek)
            if positioned, let endBytes, cursor.key.compare(endBytes) >= 0 { positioned = false }
            live.append(positioned)
        }

        var page = PageAssembler(ascending: true, limit: limit, countOnly: shaping.countOnly)
        while true {
            // The smallest key among the shards' cursors: a k-way merge into token order.
            guard let best = CursorMerge.leading(cursors, live: live) else { break }
            let cursor = cursors[best]
            let entry = try shaping.entry(cursor.value, schema: schema, run: PageAssembler.run(of: cursor.key))
            if isAfterStart(entry, storedKey: cursor.key, startKey: startKey) {
                guard page.add(entry), !page.isFull else { break }
            }
            live[best] = try cursor.next()
            if live[best], let endBytes, cursor.key.compare(endBytes) >= 0 { live[best] = false }
        }
        page.finish()
        let units = CapacityUnits.scan(bytes: page.scannedBytes, consistent: consistent, finished: !page.stoppedEarly,
                                      totalSegments: totalSegments)
        return ScanResponse(capacity: ConsumedCapacity(table: units),
                            items: page.items, count: page.matched, scannedCount: page.scannedCount,
                            lastEvaluatedKey: page.stoppedEarly ? page.lastKey?.asItem(schema) : nil)
    }
}
