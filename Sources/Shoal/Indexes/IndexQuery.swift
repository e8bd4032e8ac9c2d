import LMDB

/// A validated Query on a secondary index: equality on every partition attribute of the index,
/// then conditions on a left prefix of its sort attributes (equality on all but the last).
struct IndexQueryPlan {
    let read: IndexRead
    let partition: [AttributeValue]
    /// Values of the leading sort attributes compared for equality.
    let equalSort: [AttributeValue]
    /// The condition on the next sort attribute, if any.
    let lastSort: SortKeyCondition?
    let forward: Bool
    let limit: Int?
    let consistent: Bool
    let start: (position: IndexPosition, entryKey: [UInt8])?
    /// A local index lives beside its items: one shard holds the partition.
    var isLocal: Bool { !read.rules.definition.isGlobal }

    init(handle: TableHandle, request: QueryRequest, indexName: String) throws(ShoalError) {
        let rules = try IndexRead.index(handle, named: indexName, consistentRead: request.consistentRead)
        let definition = rules.definition
        var input = try request.expressionInput()
        var parts: [(name: String, op: SortKeyCondition.Operator)]
        if let text = request.keyConditionExpression {
            parts = try KeyConditionResolver.parts(try input.condition(text, kind: .keyCondition)!)
        } else if let legacy = request.keyConditions {
            parts = try KeyConditionResolver.parts(legacy, maxCount: max(2, definition.keyNames.count))
        } else if let typed = request.keyCondition {
            parts = [(typed.partitionKeyName, .equal(typed.partitionKeyValue))]
            if let sort = typed.sortKey { parts.append((sort.name, sort.op)) }
            parts += typed.otherKeys.map { ($0.name, $0.op) }
        } else {
            throw .validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        read = try IndexRead(rules: rules, schema: handle.key, read: request.readParameters, input: &input, keysInFilter: request.filterMayReadKeys)
        try input.finish()
        (partition, equalSort, lastSort) = try IndexQueryPlan.match(parts, to: definition)
        forward = request.scanIndexForward
        try PageBudget.checkLimit(request.limit)
        limit = request.limit
        consistent = request.consistentRead
        if let exclusiveStart = request.exclusiveStartKey {
            let found = try read.startPosition(exclusiveStart)
            guard zip(found.partition, partition).allSatisfy({ KeyEncoding.compare($0, $1) == 0 }) else {
                throw .validation("The provided starting key does not match the hash key value")
            }
            start = (found.position, found.entryKey)
            guard matchesSort(found.position.sort) else {
                throw .validation("The provided starting key is outside query boundaries based on provided conditions")
            }
        } else {
            start = nil
        }
    }

    /// Matches the conditions to the index's key attributes, with DynamoDB's rules.
    private static func match(_ parts: [(name: String, op: SortKeyCondition.Operator)], to index: IndexDefinition)
        throws(ShoalError) -> ([AttributeValue], [AttributeValue], SortKeyCondition?) {
        func condition(on name: String) -> SortKeyCondition.Operator? {
            parts.first { Bytewise.equal($0.name, name) }?.op
        }
        // Only the index's own key attributes: the table's key is not an implicit index key.
        for part in parts where !index.keyNames.contains(where: { Bytewise.equal($0, part.name) }) {
            throw .validation("Query key condition not supported: \(part.name) is not a key attribute of index \(index.name)")
        }
        var partition: [AttributeValue] = []
        for key in index.partition {
            guard let op = condition(on: key.name) else {
                if index.partition.count == 1 && index.sort.count <= 1 { throw .validation("Query condition missed key schema element: \(key.name)") }
                throw .validation("Query key condition not supported: every HASH key attribute of index \(index.name) needs an equality condition (missing: \(key.name))")
            }
            guard case .equal(let value) = op else {
                throw .validation("Query key condition not supported: HASH key attribute \(key.name) of index \(index.name) needs an equality condition")
            }
            guard value.type == key.type.attributeType else {
                throw .invalidParameter("Condition parameter type does not match schema type")
            }
            try PrimaryKey.checkNotEmpty(value, name: key.name)
            partition.append(value)
        }
        var equalSort: [AttributeValue] = []
        var last: SortKeyCondition?
        var gap: String?
        for key in index.sort {
            guard let op = condition(on: key.name) else {
                gap = gap ?? key.name
                continue
            }
            if let gap {
                throw .validation("Query key condition not supported: RANGE key attribute \(gap) of index \(index.name) needs an equality condition because a later RANGE key attribute (\(key.name)) is constrained")
            }
            if let last {
                throw .validation("Query key condition not supported: RANGE key attribute \(last.name) of index \(index.name) needs an equality condition because a later RANGE key attribute (\(key.name)) is constrained")
            }
            for operand in op.operands where operand.type != key.type.attributeType {
                if case .beginsWith = op, key.type == .n { break }
                throw .invalidParameter("Condition parameter type does not match schema type")
            }
            if case .beginsWith = op, key.type == .n {
                throw .validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
            }
            if case let .between(low, high) = op, KeyEncoding.compare(low, high) > 0 {
                throw .validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: \(low), upper bound operand: AttributeValue: \(high)")
            }
            if case .equal(let value) = op {
                equalSort.append(value)
            } else {
                last = SortKeyCondition(name: key.name, op)
            }
        }
        // A trailing equality is as good a last condition as any.
        if last == nil, let value = equalSort.popLast() {
            last = SortKeyCondition(name: index.sort[equalSort.count].name, .equal(value))
        }
        return (partition, equalSort, last)
    }

    /// Whether sort values satisfy the key condition.
    private func matchesSort(_ sort: [AttributeValue]) -> Bool {
        guard sort.count >= equalSort.count + (lastSort == nil ? 0 : 1) else { return false }
        for (value, wanted) in zip(sort, equalSort) where KeyEncoding.compare(value, wanted) != 0 { return false }
        if let lastSort, !lastSort.matches(sort[equalSort.count]) { return false }
        return true
    }

    /// The stored sort parts that can match: where to start (inclusive) and a bound not to pass.
    private var storedRange: (lower: [UInt8], upper: [UInt8]) {
        let base = IndexKeyEncoding.components(equalSort)
        func with(_ value: AttributeValue) -> [UInt8] {
            var bytes = base
            IndexKeyEncoding.appendComponent(value, to: &bytes)
            return bytes
        }
        guard let lastSort else { return (IndexKeyEncoding.lowerSeek(base), IndexKeyEncoding.upperBound(base)) }
        switch lastSort.op {
        case .equal(let v): return (IndexKeyEncoding.lowerSeek(with(v)), IndexKeyEncoding.upperBound(with(v)))
        case .lessThan(let v), .lessThanOrEqual(let v): return (IndexKeyEncoding.lowerSeek(base), IndexKeyEncoding.upperBound(with(v)))
        case .greaterThan(let v), .greaterThanOrEqual(let v): return (IndexKeyEncoding.lowerSeek(with(v)), IndexKeyEncoding.upperBound(base))
        case let .between(low, high): return (IndexKeyEncoding.lowerSeek(with(low)), IndexKeyEncoding.upperBound(with(high)))
        case .beginsWith(let p):
            let bytes = base + IndexKeyEncoding.prefixComponent(p)
            return (IndexKeyEncoding.lowerSeek(bytes), IndexKeyEncoding.upperBound(bytes))
        }
    }

    /// Reads one page from the index's databases in `shards` (one cursor per shard, merged).
    func run(_ txns: [Transaction], storages: [TableStorage]) throws -> QueryResponse {
        let prefix = IndexKeyEncoding.partitionPrefix(partition)
        var (lower, upper) = storedRange
        if let start {
            // Resume inside the run of the start entry (a truncated run is sorted on read).
            let startSuffix = Array(start.entryKey[prefix.count...])
            let runStart = IndexKeyEncoding.lowerSeek(Array(startSuffix.dropLast(IndexKeyEncoding.digestSize)))
            if forward {
                if KeyEncoding.compareBytes(runStart, lower) > 0 { lower = runStart }
            } else {
                let bound = startSuffix.count - IndexKeyEncoding.digestSize > IndexKeyEncoding.sortInlineLimit
                    ? IndexKeyEncoding.upperBound(runStart) : startSuffix
                if KeyEncoding.compareBytes(bound, upper) < 0 { upper = bound }
            }
        }
        var cursors = try read.openCursors(txns, storages)
        defer { cursors.removeAll() }
        var live: [Bool] = []
        for cursor in cursors {
            let positioned = forward ? try cursor.seek(atOrAfter: prefix + lower) : try cursor.seek(atOrBefore: prefix + upper)
            live.append(positioned && inRange(cursor.key, prefix: prefix, lower: lower, upper: upper))
        }
        var page = PageAssembler(ascending: forward, limit: limit, countOnly: read.shaping.countOnly)
        while true {
            guard let best = CursorMerge.leading(cursors, live: live, ascending: forward) else { break }
            let cursor = cursors[best]
            let entryKey = cursor.key
            let run = IndexKeyEncoding.run(ofEntry: entryKey, prefixLength: prefix.count)
            let digest = entryKey.array((entryKey.count - IndexKeyEncoding.digestSize)..<entryKey.count)
            let entry = try read.entry(value: cursor.value.array, items: storages[best].items, txn: txns[best], run: run,
                                       entryDigest: digest) { values, position in
                zip(values, partition).allSatisfy { KeyEncoding.compare($0, $1) == 0 } && matchesSort(position.sort)
                    && isAfterStart(position)
            }
            if let entry {
                guard page.add(entry), !page.isFull else { break }
            }
            live[best] = try (forward ? cursor.next() : cursor.previous())
                && inRange(cursor.key, prefix: prefix, lower: lower, upper: upper)
        }
        page.finish()
        return QueryResponse(
            capacity: read.capacity(page, consistent: consistent),
            items: page.items, count: page.matched, scannedCount: page.scannedCount,
            lastEvaluatedKey: page.stoppedEarly ? page.lastPosition?.keyItem : nil)
    }

    private func inRange(_ key: BorrowedBytes, prefix: [UInt8], lower: [UInt8], upper: [UInt8]) -> Bool {
        guard key.hasPrefix(prefix) else { return false }
        let suffix = prefix.count..<key.count
        return forward ? key.compare(suffix, with: upper) <= 0 : key.compare(suffix, with: lower) >= 0
    }

    private func isAfterStart(_ position: IndexPosition) -> Bool {
        guard let start else { return true }
        let c = IndexPosition.compare(position, start.position)
        return forward ? c > 0 : c < 0
    }
}

extension Database {
    /// Query on a secondary index: a local index reads the partition's shard, a global one every
    /// shard, merging their sorted runs.
    func queryIndex(_ handle: TableHandle, _ request: QueryRequest, indexName: String) throws(ShoalError) -> QueryResponse {
        let plan = try IndexQueryPlan(handle: handle, request: request, indexName: indexName)
        let shardIndexes = plan.isLocal ? [shard(for: plan.partition[0]).index] : Array(shards.indices)
        return try runSync {
            try withSnapshots(of: shardIndexes) { txns in
                try plan.run(txns, storages: shardIndexes.map { handle.storages[$0] })
            }
        }
    }
}
