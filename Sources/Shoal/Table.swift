/// A friendlier handle on one table: the same operations as ``Database``, with items as
/// `Codable` values or items (``LazyItem`` from reads, ``Item`` for writes) and pagination done
/// for you.
///
/// ```swift
/// struct User: Codable { var id: String; var name: String }
/// let users = db.table("Users")
/// try await users.put(User(id: "u1", name: "Ada"))
/// let ada = try await users.get(User.self, key: ["id": "u1"])
/// ```
public struct Table: Sendable {
    public let database: Database
    public let name: String

    /// Replaces (or creates) the item, if `condition` (when given) holds for the current one.
    public func put(_ item: Item, condition: Condition? = nil) async throws(ShoalError) {
        _ = try await database.putItem(PutItemRequest(tableName: name, item: item, condition: condition))
    }

    /// Applies `update` to the item with this key (creating it when absent), if `condition` holds.
    /// - Returns: the item after the update.
    ///
    /// ```swift
    /// let counter = try await counters.update(["id": "home"], .add("visits", 1))
    /// ```
    @discardableResult
    public func update(_ key: Item, _ update: UpdateExpression, condition: Condition? = nil) async throws(ShoalError) -> Item? {
        try await database.updateItem(UpdateItemRequest(tableName: name, key: key, update: update, condition: condition,
                                                        returnValues: .allNew)).attributes
    }

    /// Encodes `value` with ``ItemEncoder`` and stores it.
    /// - Throws: `EncodingError` when the value cannot be encoded, or ``ShoalError``.
    public func put<T: Encodable>(_ value: T) async throws {
        try await put(try ItemEncoder().encode(value))
    }

    /// The item with this primary key, or nil.
    public func get(_ key: Item) async throws(ShoalError) -> LazyItem? {
        try await database.getItem(GetItemRequest(tableName: name, key: key)).item
    }

    /// The item with this primary key decoded as `T`, or nil.
    public func get<T: Decodable>(_ type: T.Type, key: Item) async throws -> T? {
        guard let item = try await get(key) else { return nil }
        return try ItemDecoder().decode(type, from: item)
    }

    /// Deletes the item. - Returns: the deleted item, or nil if there was none.
    @discardableResult
    public func delete(_ key: Item, condition: Condition? = nil) async throws(ShoalError) -> Item? {
        try await database.deleteItem(DeleteItemRequest(tableName: name, key: key, returnValues: .allOld, condition: condition)).attributes
    }

    /// All items of a partition (every page), optionally narrowed by a sort-key condition.
    ///
    /// ```swift
    /// let recent = try await orders.query("u1", where: .greaterThan(.n(20240101)), forward: false)
    /// ```
    public func query(_ partitionKey: AttributeValue, where sortKey: SortKeyCondition.Operator? = nil,
                      filter: Condition? = nil, forward: Bool = true, limit: Int? = nil) async throws(ShoalError) -> [LazyItem] {
        let schema = try database.handle(name).key
        guard sortKey == nil || schema.sort != nil else {
            throw .validation("Query key condition not supported: table \(name) has no sort key")
        }
        var condition = KeyCondition(partitionKeyName: schema.partition.name, partitionKeyValue: partitionKey)
        if let sortKey, let sort = schema.sort { condition.sortKey = SortKeyCondition(name: sort.name, sortKey) }
        var items: [LazyItem] = []
        var start: Item?
        repeat {
            let remaining = limit.map { $0 - items.count }
            let page = try await database.query(QueryRequest(
                tableName: name, keyCondition: condition, filter: filter, scanIndexForward: forward,
                limit: remaining, exclusiveStartKey: start))
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil && (limit.map { items.count < $0 } ?? true)
        return items
    }

    /// `query` decoded as `T`.
    public func query<T: Decodable>(_ type: T.Type, _ partitionKey: AttributeValue, where sortKey: SortKeyCondition.Operator? = nil,
                                    filter: Condition? = nil, forward: Bool = true, limit: Int? = nil) async throws -> [T] {
        let decoder = ItemDecoder()
        return try await query(partitionKey, where: sortKey, filter: filter, forward: forward, limit: limit).map { try decoder.decode(type, from: $0) }
    }

    /// Every item of the table (every page), optionally filtered.
    public func scan(filter: Condition? = nil) async throws(ShoalError) -> [LazyItem] {
        var items: [LazyItem] = []
        var start: Item?
        repeat {
            let page = try await database.scan(ScanRequest(tableName: name, exclusiveStartKey: start, filter: filter))
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil
        return items
    }

    /// A handle on one of the table's secondary indexes.
    ///
    /// ```swift
    /// let ada = try await users.index("byEmail").query(["email": "ada@example.com"])
    /// ```
    public func index(_ indexName: String) -> TableIndex { TableIndex(table: self, name: indexName) }
}

/// A secondary index of a table: Query and Scan with the same typed conditions as the table.
public struct TableIndex: Sendable {
    public let table: Table
    public let name: String

    /// The items of one index partition (every page): `partition` names every partition attribute
    /// of the index with its value; `sortEquals` fixes leading sort attributes (multi-attribute
    /// keys) and `sortKey` constrains the next one.
    public func query(_ partition: Item, sortEquals: Item = [:], where sortKey: SortKeyCondition? = nil,
                      filter: Condition? = nil, forward: Bool = true, limit: Int? = nil) async throws(ShoalError) -> [LazyItem] {
        let keys = partition.sorted { $0.key < $1.key }
        guard let first = keys.first else { throw .validation("Query condition missed key schema element: a partition key of index \(name)") }
        let others = keys.dropFirst().map { SortKeyCondition(name: $0.key.string, .equal($0.value)) }
            + sortEquals.sorted { $0.key < $1.key }.map { SortKeyCondition(name: $0.key.string, .equal($0.value)) }
        let condition = KeyCondition(partitionKeyName: first.key.string, partitionKeyValue: first.value, sortKey: sortKey, otherKeys: others)
        var items: [LazyItem] = []
        var start: Item?
        repeat {
            let remaining = limit.map { $0 - items.count }
            let page = try await table.database.query(QueryRequest(
                tableName: table.name, keyCondition: condition, filter: filter, scanIndexForward: forward,
                limit: remaining, exclusiveStartKey: start, indexName: name))
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil && (limit.map { items.count < $0 } ?? true)
        return items
    }

    /// Every entry of the index (every page), as the index projects it.
    public func scan(filter: Condition? = nil) async throws(ShoalError) -> [LazyItem] {
        var items: [LazyItem] = []
        var start: Item?
        repeat {
            let page = try await table.database.scan(ScanRequest(tableName: table.name, exclusiveStartKey: start, filter: filter,
                                                                 indexName: name))
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil
        return items
    }
}

extension Database {
    /// A handle on the table `name` (checked when used).
    public func table(_ name: String) -> Table { Table(database: self, name: name) }
}
