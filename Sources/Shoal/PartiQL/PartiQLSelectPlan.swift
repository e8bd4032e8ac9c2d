/// How a SELECT reads, decided as DynamoDB decides it: a point read when `WHERE` names a table
/// item's full key by equality; a Query of each partition it pins by `=`, `IN` or `OR`
/// (narrowed by a sort-key condition when it has one); otherwise a Scan. The `WHERE` clause,
/// less what the key access already guarantees, filters what is read.
struct PartiQLSelectPlan {
    enum Access: Equatable {
        case point(Item)
        case query(partitions: [AttributeValue], sort: SortKeyCondition?)
        case scan
    }

    let table: String
    let index: String?
    let access: Access
    let filter: Condition?
    let shape: PartiQLProjection
    var projection: [DocumentPath]? { shape.readProjection }
    /// The read target's partition key attribute (queries), and equalities on its other
    /// partition attributes (an index with a multi-attribute partition key).
    let partitionName: String
    let otherPartitionKeys: [SortKeyCondition]
    let forward: Bool

    init(_ select: PartiQLSelect, binding: PartiQLBinding, database: Database) throws(ShoalError) {
        let handle = try database.handle(select.table)
        table = select.table
        index = select.index
        shape = PartiQLProjection(select.projection)
        let partition: [PrimaryKey.Part]
        let sort: [PrimaryKey.Part]
        if let name = select.index {
            let definition = try IndexRead.index(handle, named: name, consistentRead: false).definition
            (partition, sort) = (definition.partition, definition.sort)
        } else {
            partition = [handle.key.partition]
            sort = handle.key.sort.map { [$0] } ?? []
        }
        partitionName = partition[0].name

        var remaining = PartiQLKeys.conjuncts(select.condition)
        var partitions: [AttributeValue]?
        var others: [SortKeyCondition] = []
        if partition.count == 1 {
            for (position, conjunct) in remaining.enumerated() {
                guard let pins = PartiQLKeys.pins(conjunct, on: partition[0].name) else { continue }
                var values: [AttributeValue] = []
                for expression in pins.values {
                    // A value of another type than the key's matches no item.
                    guard let value = try binding.value(expression), value.type == partition[0].type.attributeType,
                          !values.contains(where: { KeyEncoding.compare($0, value) == 0 }) else { continue }
                    values.append(value)
                }
                partitions = values
                if pins.exact { remaining.remove(at: position) }
                break
            }
        } else {
            // Every attribute of a multi-attribute partition key pinned by one equality.
            var found: [(Int, AttributeValue)] = []
            for part in partition {
                guard let position = remaining.firstIndex(where: { PartiQLKeys.equality($0, on: part.name) != nil }),
                      let value = try binding.value(PartiQLKeys.equality(remaining[position], on: part.name)!),
                      value.type == part.type.attributeType else { break }
                found.append((position, value))
            }
            if found.count == partition.count {
                partitions = [found[0].1]
                others = zip(partition.dropFirst(), found.dropFirst()).map { SortKeyCondition(name: $0.name, .equal($1.1)) }
                for position in found.map(\.0).sorted(by: >) { remaining.remove(at: position) }
            }
        }
        otherPartitionKeys = others

        var sortCondition: SortKeyCondition?
        if partitions != nil, sort.count == 1 {
            for (position, conjunct) in remaining.enumerated() {
                if let condition = try PartiQLKeys.sortCondition(conjunct, sort: sort[0], binding: binding) {
                    sortCondition = condition
                    remaining.remove(at: position)
                    break
                }
            }
        }

        var ascending = true
        var partitionsAscending: Bool?
        if !select.orderBy.isEmpty {
            guard partitions != nil else {
                throw .validation(select.condition == nil
                    ? "Must have WHERE clause in the statement when using ORDER BY clause."
                    : "ORDER BY needs a WHERE clause that pins the partition key with = or IN")
            }
            for (path, descending) in select.orderBy {
                let key = DocumentPath(path)
                if key.isTopLevel, sort.count == 1, Bytewise.equal(key.attribute, sort[0].name) {
                    ascending = !descending
                } else if key.isTopLevel, partition.count == 1, Bytewise.equal(key.attribute, partition[0].name) {
                    partitionsAscending = !descending
                } else {
                    throw .validation("ORDER BY can only name the key attributes of the table or index; \(key) is not one")
                }
            }
        }
        forward = ascending
        if var values = partitions {
            if let up = partitionsAscending {
                values.sort { up ? KeyEncoding.compare($0, $1) < 0 : KeyEncoding.compare($0, $1) > 0 }
            }
            if select.index == nil, values.count == 1, sort.isEmpty || sortCondition.map({ if case .equal = $0.op { true } else { false } }) == true {
                var key: Item = [AttributeName(partition[0].name): values[0]]
                if let sortCondition, case .equal(let value) = sortCondition.op { key[AttributeName(sortCondition.name)] = value }
                access = .point(key)
            } else {
                access = .query(partitions: values, sort: sortCondition)
            }
        } else {
            access = .scan
        }
        filter = try PartiQLKeys.joined(remaining).map { e throws(ShoalError) in try binding.condition(e) }
        if let filter { try ExpressionChecks.check(filter, kind: .filter) }
    }

    func shaped(_ item: LazyItem) -> LazyItem { shape.shaped(item) }

    struct Page {
        var items: [LazyItem] = []
        var capacity = ConsumedCapacity()
        var next: PartiQLPageToken?
        var lastEvaluatedKey: Item?
    }

    /// One page: from `start` (a partition and a key within it), evaluating at most `limit`
    /// items, and about 1 MB when the statement reads several partitions.
    func run(on database: Database, limit: Int?, start: PartiQLPageToken?, consistent: Bool) async throws(ShoalError) -> Page {
        var page = Page()
        switch access {
        case .point(let key):
            guard start == nil else { return page }
            let handle = try database.handle(table)
            let found = try database.readEncodedItem(handle, key: try handle.key.key(fromKey: key))
            page.capacity.table = CapacityUnits.read(bytes: found?.size ?? 0, consistent: consistent)
            if let (item, _) = found, filter.map({ ConditionEvaluator.evaluate($0, on: item) }) ?? true {
                page.items = [shaped(LazyItem(item, projection: projection))]
            }
        case let .query(partitions, sort):
            var position = start?.partition ?? 0
            var startKey = start?.lastKey
            var remaining = limit
            // Several partitions share one page's budget of about 1 MB (units of 4 KB read).
            let budget = consistent ? 256.0 : 128.0
            while position < partitions.count {
                var request = QueryRequest(
                    tableName: table,
                    keyCondition: KeyCondition(partitionKeyName: partitionName, partitionKeyValue: partitions[position], sortKey: sort,
                                               otherKeys: otherPartitionKeys),
                    filter: filter, projection: projection, scanIndexForward: forward, limit: remaining,
                    exclusiveStartKey: startKey, consistentRead: consistent, indexName: index)
                request.filterMayReadKeys = true
                let response = try await database.query(request)
                page.items += response.items.map(shaped)
                page.capacity.add(response.capacity)
                if let last = response.lastEvaluatedKey {
                    page.next = PartiQLPageToken(partition: position, lastKey: last)
                    page.lastEvaluatedKey = last
                    return page
                }
                position += 1
                startKey = nil
                if let limit = remaining {
                    remaining = limit - response.scannedCount
                    if remaining! <= 0 { break }
                }
                if page.capacity.total >= budget { break }
            }
            if position < partitions.count { page.next = PartiQLPageToken(partition: position, lastKey: nil) }
        case .scan:
            guard start?.partition ?? 0 == 0 else { return page }
            let response = try await database.scan(ScanRequest(
                tableName: table, limit: limit, exclusiveStartKey: start?.lastKey, consistentRead: consistent,
                filter: filter, projection: projection, indexName: index))
            page.items = response.items.map(shaped)
            page.capacity = response.capacity
            if let last = response.lastEvaluatedKey {
                page.next = PartiQLPageToken(partition: 0, lastKey: last)
                page.lastEvaluatedKey = last
            }
        }
        return page
    }
}

/// Where the next page of a SELECT starts, sealed into ExecuteStatement's `NextToken` with the
/// statement and parameters it belongs to, so that a token opens only for the same statement.
struct PartiQLPageToken: Equatable {
    var partition: Int
    var lastKey: Item?

    /// DynamoDB's limit on `NextToken`.
    static let maxLength = 32768

    private static func fingerprint(_ statement: String, _ parameters: [AttributeValue]) -> [UInt8] {
        var bytes = Array(statement.utf8)
        bytes += ItemCodec.encode(["p": .l(parameters)])
        let hash = XXHash64.hash(bytes)
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> (56 - 8 * $0)) }
    }

    func seal(statement: String, parameters: [AttributeValue], sealer: TokenSealer) -> String {
        var payload = PartiQLPageToken.fingerprint(statement, parameters)
        payload += (0..<4).map { UInt8(truncatingIfNeeded: partition >> (24 - 8 * $0)) }
        if let lastKey { payload += ItemCodec.encode(lastKey) }
        return sealer.seal(payload, for: .statementPage)
    }

    static func open(_ token: String, statement: String, parameters: [AttributeValue], sealer: TokenSealer) throws(ShoalError) -> PartiQLPageToken {
        let invalid = ShoalError.validation("The provided NextToken is not valid for this statement and its parameters")
        guard let payload = sealer.open(token, for: .statementPage, maxLength: maxLength), payload.count >= 12,
              Array(payload[0..<8]) == fingerprint(statement, parameters) else { throw invalid }
        let partition = payload[8..<12].reduce(0) { $0 << 8 | Int($1) }
        let lastKey = payload.count > 12 ? try ItemCodec.decode(Array(payload[12...])) : nil
        return PartiQLPageToken(partition: partition, lastKey: lastKey)
    }
}
