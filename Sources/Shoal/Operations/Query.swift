import Foundation
import LMDB

public struct QueryRequest: Sendable {
    public var tableName: String
    /// The typed key condition; or give `keyConditionExpression`, or legacy `keyConditions`.
    public var keyCondition: KeyCondition?
    public var keyConditionExpression: String?
    public var keyConditions: [AttributeName: LegacyCondition]?
    /// Applied after `Limit` counts evaluated items: `Count` drops filtered items, `ScannedCount` does not.
    public var filterExpression: String?
    public var filter: Condition?
    public var queryFilter: [AttributeName: LegacyCondition]?
    public var conditionalOperator: ConditionalOperator?
    public var projectionExpression: String?
    public var projection: [DocumentPath]?
    public var attributesToGet: [String]?
    public var expressionAttributeNames: [String: String]?
    public var expressionAttributeValues: [String: AttributeValue]?
    public var scanIndexForward: Bool
    public var limit: Int?
    public var exclusiveStartKey: Item?
    public var select: Select?
    public var consistentRead: Bool
    /// Query this secondary index instead of the table.
    public var indexName: String?
    /// A PartiQL SELECT's filter is its whole WHERE clause, which may read key attributes (a
    /// Query's FilterExpression may not).
    var filterMayReadKeys = false

    public init(tableName: String, keyCondition: KeyCondition? = nil, keyConditionExpression: String? = nil,
                keyConditions: [AttributeName: LegacyCondition]? = nil, filterExpression: String? = nil, filter: Condition? = nil,
                queryFilter: [AttributeName: LegacyCondition]? = nil, conditionalOperator: ConditionalOperator? = nil,
                projectionExpression: String? = nil, projection: [DocumentPath]? = nil, attributesToGet: [String]? = nil,
                expressionAttributeNames: [String: String]? = nil, expressionAttributeValues: [String: AttributeValue]? = nil,
                scanIndexForward: Bool = true, limit: Int? = nil,
                exclusiveStartKey: Item? = nil, select: Select? = nil, consistentRead: Bool = false,
                indexName: String? = nil) {
        self.tableName = tableName
        self.keyCondition = keyCondition
        self.keyConditionExpression = keyConditionExpression
        self.keyConditions = keyConditions
        self.filterExpression = filterExpression
        self.filter = filter
        self.queryFilter = queryFilter
        self.conditionalOperator = conditionalOperator
        self.projectionExpression = projectionExpression
        self.projection = projection
        self.attributesToGet = attributesToGet
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.scanIndexForward = scanIndexForward
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.select = select
        self.consistentRead = consistentRead
        self.indexName = indexName
    }
}

public struct QueryResponse: Sendable, Equatable {
    /// Read capacity units by DynamoDB's rules (`ReturnConsumedCapacity`).
    public var consumedCapacity: Double { capacity.total }
    /// The units split between the table and the index read (`ReturnConsumedCapacity: INDEXES`).
    public var capacity = ConsumedCapacity()
    /// The items (empty with `Select: COUNT`), as views over their stored bytes.
    public var items: [LazyItem]
    public var count: Int
    public var scannedCount: Int
    /// Present when the page stopped at `Limit` or 1 MB: pass it as `exclusiveStartKey` to continue.
    public var lastEvaluatedKey: Item?
}

extension Database {
    /// DynamoDB's Query: the items of one partition in sort-key order (or reverse), optionally
    /// narrowed by a sort-key condition, in pages of `Limit` items or 1 MB.
    public func query(_ request: QueryRequest) async throws(ShoalError) -> QueryResponse {
        let handle = try handle(request.tableName)
        if let indexName = request.indexName {
            return try await withReadCapacity(handle, index: indexName, \.capacity) { () throws(ShoalError) in try queryIndex(handle, request, indexName: indexName) }
        }
        let plan = try QueryPlan(handle: handle, request: request)
        let shard = shard(for: plan.partition)
        return try await withReadCapacity(handle, \.capacity) { () throws(ShoalError) in
            try runSync {
                try snapshot(shard) { txn in
                    try txn.withCursor(handle.items(shard.index)) { cursor in
                        try plan.run(cursor)
                    }
                }
            }
        }
    }
}

/// A validated Query: what to read, in which direction, and how to page.
struct QueryPlan {
    let schema: PrimaryKey
    let partition: AttributeValue
    let sortCondition: SortKeyCondition?
    let forward: Bool
    let startAfter: AttributeValue?
    let shaping: ReadShaping
    let limit: Int?
    let consistent: Bool

    init(handle: TableHandle, request: QueryRequest) throws(ShoalError) {
        schema = handle.key
        let read = request.readParameters
        var input = try request.expressionInput()
        let condition: KeyCondition
        if let text = request.keyConditionExpression {
            let parsed = try input.condition(text, kind: .keyCondition)!
            condition = try KeyConditionResolver.resolve(parsed, schema: schema)
        } else if let legacy = request.keyConditions {
            condition = try KeyConditionResolver.resolve(legacy, schema: schema)
        } else if let typed = request.keyCondition {
            if let other = typed.otherKeys.first {
                throw .validation("Query condition missed key schema element: \(other.name) is not a key attribute of table \(request.tableName)")
            }
            condition = typed
        } else {
            throw .validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        shaping = try read.shaping(schema: schema, input: &input, keysInFilter: request.filterMayReadKeys)
        try input.finish()

        guard condition.partitionKeyName == schema.partition.name else {
            throw .validation("Query condition missed key schema element: \(schema.partition.name)")
        }
        guard condition.partitionKeyValue.type == schema.partition.type.attributeType else {
            throw .invalidParameter("Condition parameter type does not match schema type")
        }
        try PrimaryKey.checkNotEmpty(condition.partitionKeyValue, name: schema.partition.name)
        partition = condition.partitionKeyValue
        if let sortCondition = condition.sortKey {
            guard let sort = schema.sort, Bytewise.equal(sortCondition.name, sort.name) else {
                throw .validation("Query condition missed key schema element: \(schema.sort?.name ?? schema.partition.name)")
            }
            for operand in sortCondition.op.operands where operand.type != sort.type.attributeType {
                if case .beginsWith = sortCondition.op, sort.type == .n {
                    throw .validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
                }
                throw .invalidParameter("Condition parameter type does not match schema type")
            }
            if case .beginsWith = sortCondition.op, sort.type == .n {
                throw .validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
            }
            if case let .between(low, high) = sortCondition.op, KeyEncoding.compare(low, high) > 0 {
                throw .validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: \(low), upper bound operand: AttributeValue: \(high)")
            }
        }
        sortCondition = condition.sortKey
        forward = request.scanIndexForward
        try PageBudget.checkLimit(request.limit)
        limit = request.limit
        consistent = request.consistentRead
        if let start = request.exclusiveStartKey {
            // A partition of a table without a sort key holds one item: there is nothing to resume.
            guard schema.sort != nil else {
                let shown = start.sorted { $0.key < $1.key }.map { "\($0.key)=AttributeValue: {\($0.value.type.rawValue):\(QueryPlan.shown($0.value))}" }
                throw .validation("The provided exclusive start key is invalid: ExclusiveStartKey: {\(shown.joined(separator: ", "))}")
            }
            let key: ItemKey
            do {
                key = try schema.key(fromKey: start)
            } catch {
                throw .validation("The provided starting key is invalid: \(error.message)")
            }
            guard key.partition == partition else {
                throw .validation("The provided starting key does not match the hash key value")
            }
            if let sortCondition, let sort = key.sort, !sortCondition.matches(sort) {
                throw .validation("The provided starting key is outside query boundaries based on provided conditions")
            }
            startAfter = key.sort
        } else {
            startAfter = nil
        }
    }

    /// A key value as DynamoDB shows it in this message.
    static func shown(_ value: AttributeValue) -> String {
        switch value {
        case .s(let s): return s
        case .n(let n): return n.description
        case .b(let b): return Data(b).base64EncodedString()
        default: return value.description
        }
    }

    /// Whether a sort key value is part of this page's range.
    private func selects(_ sort: AttributeValue?) -> Bool {
        if let sortCondition, let sort, !sortCondition.matches(sort) { return false }
        if let startAfter, let sort {
            let c = KeyEncoding.compare(sort, startAfter)
            return forward ? c > 0 : c < 0
        }
        // A start key on a table without a sort key: the one item of the partition was already read.
        return startAfter == nil || schema.sort != nil
    }

    func run(_ cursor: Cursor) throws -> QueryResponse {
        let prefix = KeyEncoding.partitionPrefix(partition)
        let digestedPartition = prefix[KeyEncoding.tokenSize] & KeyEncoding.longFlag != 0
        var (lower, upper) = sortCondition?.storedRange ?? (nil, nil)
        if let startAfter, !forward {
            let bound = KeyEncoding.sortUpperBound(startAfter)
            if upper == nil || KeyEncoding.compareBytes(bound, upper!) < 0 { upper = bound }
        } else if let startAfter {
            let seek = KeyEncoding.sortLowerSeek(startAfter)
            if lower == nil || KeyEncoding.compareBytes(seek, lower!) > 0 { lower = seek }
        }
        var page = PageAssembler(ascending: forward, limit: limit, countOnly: shaping.countOnly)
        var positioned = forward
            ? try cursor.seek(atOrAfter: prefix + (lower ?? []))
            : try cursor.seek(atOrBefore: prefix + (upper ?? KeyEncoding.sortPartCeiling))
        while positioned {
            let key = cursor.key
            guard key.hasPrefix(prefix) else { break }
            let sortRange = prefix.count..<key.count
            if forward, let upper, key.compare(sortRange, with: upper) > 0 { break }
            if !forward, let lower, key.compare(sortRange, with: lower) < 0 { break }
            let run = key.count - prefix.count > KeyEncoding.sortInlineLimit ? PageAssembler.run(of: key) : nil
            let entry = try shaping.entry(cursor.value, schema: schema, run: run)
            // A digested partition key may belong to another partition: skip it.
            if (!digestedPartition || entry.key.partition == partition) && selects(entry.key.sort) {
                guard page.add(entry), !page.isFull else { break }
            }
            positioned = forward ? try cursor.next() : try cursor.previous()
        }
        page.finish()
        return QueryResponse(
            capacity: ConsumedCapacity(table: CapacityUnits.read(bytes: page.scannedBytes, consistent: consistent)),
            items: page.items, count: page.matched, scannedCount: page.scannedCount,
            lastEvaluatedKey: page.stoppedEarly ? page.lastKey?.asItem(schema) : nil)
    }
}
