public struct GetItemRequest: Sendable {
    public var tableName: String
    public var key: Item
    /// Accepted for compatibility: every Shoal read is strongly consistent.
    public var consistentRead: Bool
    /// The attributes to return (`ProjectionExpression`); all when nil.
    public var projectionExpression: String?
    /// The same as typed paths.
    public var projection: [DocumentPath]?
    public var expressionAttributeNames: [String: String]?
    /// Legacy projection of top-level attributes; cannot be combined with `projectionExpression`.
    public var attributesToGet: [String]?

    public init(tableName: String, key: Item, consistentRead: Bool = false, projectionExpression: String? = nil,
                projection: [DocumentPath]? = nil, expressionAttributeNames: [String: String]? = nil,
                attributesToGet: [String]? = nil) {
        self.tableName = tableName
        self.key = key
        self.consistentRead = consistentRead
        self.projectionExpression = projectionExpression
        self.projection = projection
        self.expressionAttributeNames = expressionAttributeNames
        self.attributesToGet = attributesToGet
    }
}

public struct GetItemResponse: Sendable, Equatable {
    /// The item, or `nil` when there is none with that key: a view over its stored bytes
    /// (``LazyItem``) that decodes what is read of it.
    public var item: LazyItem?
    /// Read capacity units by DynamoDB's rules (`ReturnConsumedCapacity`).
    public var consumedCapacity: Double = 0
}

extension Database {
    /// DynamoDB's GetItem: one item by its full primary key, from the latest committed state.
    /// - Throws: `ValidationException` when `key` is not exactly the table's key, `ResourceNotFoundException` for a missing table.
    public func getItem(_ request: GetItemRequest) async throws(ShoalError) -> GetItemResponse {
        let handle = try handle(request.tableName)
        let key = try handle.key.key(fromKey: request.key)
        var projection: [DocumentPath]?
        // The common GetItem has no projection: skip the expression machinery entirely.
        if request.projectionExpression != nil || request.projection != nil || request.attributesToGet != nil
            || request.expressionAttributeNames != nil {
            var input = try ExpressionInput(names: request.expressionAttributeNames, values: nil,
                                            usesExpressions: request.projectionExpression != nil)
            projection = try ProjectionParameters(expression: request.projectionExpression, typed: request.projection,
                                                  attributesToGet: request.attributesToGet).resolve(&input)
            try input.finish()
        }
        let consistent = request.consistentRead
        let draws = try admitCapacity(handle, write: false)
        guard let (item, size) = try readEncodedItem(handle, key: key) else {
            let units = CapacityUnits.read(bytes: 0, consistent: consistent)
            chargeCapacity(draws, handle, write: false, ConsumedCapacity(table: units))
            return GetItemResponse(item: nil, consumedCapacity: units)
        }
        let units = CapacityUnits.read(bytes: size, consistent: consistent)
        chargeCapacity(draws, handle, write: false, ConsumedCapacity(table: units))
        return GetItemResponse(item: LazyItem(item, projection: projection), consumedCapacity: units)
    }

    /// Reads one item as a view over its stored bytes, with its stored size.
    func readEncodedItem(_ handle: TableHandle, key: ItemKey) throws(ShoalError) -> (item: EncodedItem, size: Int)? {
        let (token, encoded) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
        let shard = shards[ring.shard(for: token)]
        return try runSync {
            try snapshot(shard) { txn in
                try StoredItem.readEncoded(handle.items(shard.index), key: encoded, expecting: key, schema: handle.key, in: txn)
            }
        }
    }
}
