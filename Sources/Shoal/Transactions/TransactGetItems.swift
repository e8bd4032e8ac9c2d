import LMDB

extension Database {
    /// DynamoDB's TransactGetItems: up to 100 items of any tables, read from one consistent view
    /// of every shard (never part of a transaction).
    /// - Throws: `ValidationException` for an invalid request, `ResourceNotFoundException` for a
    ///   missing table, `TransactionCanceledException` when a transaction is committing one of the items.
    public func transactGetItems(_ gets: [TransactGetRequest]) async throws(ShoalError) -> TransactGetItemsResponse {
        guard !gets.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard gets.count <= Database.maxTransactionActions else {
            throw .validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to \(Database.maxTransactionActions)")
        }
        struct PreparedGet {
            let handle: TableHandle
            let key: ItemKey
            let encodedKey: [UInt8]
            let shard: Int
            let projection: [DocumentPath]?
        }
        var prepared: [PreparedGet] = []
        var seen = Set<ItemLockKey>()
        for get in gets {
            let handle = try handle(get.tableName)
            let key = try handle.key.key(fromKey: get.key)
            let (token, encoded) = KeyEncoding.encode(partition: key.partition, sort: key.sort)
            var input = try ExpressionInput(names: get.expressionAttributeNames, values: nil, usesExpressions: get.projectionExpression != nil)
            let projection = try input.projection(get.projectionExpression)
            try input.finish()
            guard seen.insert(ItemLockKey(tableID: handle.definition.id, key: encoded)).inserted else {
                throw .validation("Transaction request cannot include multiple operations on one item")
            }
            prepared.append(PreparedGet(handle: handle, key: key, encodedKey: encoded, shard: ring.shard(for: token), projection: projection))
        }
        let conflicts = prepared.map { transactions.itemLocks.isHeld(ItemLockKey(tableID: $0.handle.definition.id, key: $0.encodedKey)) }
        if conflicts.contains(true) {
            throw .transactionCanceled(conflicts.map { $0 ? .conflict : .none })
        }
        let admitted = try admitTransaction(prepared.map(\.handle), write: false)
        let involved = Array(Set(prepared.map(\.shard))).sorted()
        let found: [(item: EncodedItem, size: Int)?] = try runSync {
            try withSnapshots(ArraySlice(involved.map { shards[$0] })) { txns in
                try prepared.map { get in
                    let txn = txns[involved.firstIndex(of: get.shard)!]
                    return try StoredItem.readEncoded(get.handle.items(get.shard), key: get.encodedKey, expecting: get.key,
                                                      schema: get.handle.key, in: txn)
                }
            }
        }
        var capacity: [TableCapacity] = []
        for (get, item) in zip(prepared, found) {
            let name = get.handle.definition.name
            let units = 2 * CapacityUnits.read(bytes: item?.size ?? 0, consistent: true)
            if let position = capacity.firstIndex(where: { $0.tableName == name }) {
                capacity[position].readUnits += units
                capacity[position].capacity.table += units
            } else {
                var entry = TableCapacity(tableName: name)
                entry.readUnits = units
                entry.capacity.table = units
                capacity.append(entry)
            }
        }
        let items = zip(prepared, found).map { get, found in
            found.map { found in LazyItem(found.item, projection: get.projection) }
        }
        chargeTransaction(admitted, capacity, write: false)
        return TransactGetItemsResponse(items: items, consumedCapacity: capacity)
    }
}
