import LMDB

/// What Query and Scan on an index share: choosing the index, the Select and ConsistentRead
/// rules, and turning one index entry into a page entry by reading its base item.
struct IndexRead {
    let rules: IndexRules
    let schema: PrimaryKey
    let shaping: ReadShaping
    /// Whether reads see the whole base item (a local index asked for more than it projects).
    let wholeItem: Bool

    /// The index a read names, if it can be read.
    static func index(_ handle: TableHandle, named name: String, consistentRead: Bool) throws(ShoalError) -> IndexRules {
        guard let definition = handle.definition.index(named: name), definition.status != .deleting,
              let rules = handle.indexRules.first(where: { $0.definition.id == definition.id }) else {
            throw .validation("The table does not have the specified index: \(name)")
        }
        if definition.status == .creating {
            throw .validation("Cannot read from backfilling global secondary index: \(name)")
        }
        if definition.isGlobal && consistentRead {
            throw .validation("Consistent reads are not supported on global secondary indexes")
        }
        return rules
    }

    init(rules: IndexRules, schema: PrimaryKey, read: ReadParameters, input: inout ExpressionInput, keysInFilter: Bool) throws(ShoalError) {
        self.rules = rules
        self.schema = schema
        let definition = rules.definition
        if read.select == .allAttributes, definition.isGlobal, definition.projection.projectionType != .all {
            throw .invalidParameter("Select type ALL_ATTRIBUTES is not supported for global secondary index \(definition.name) because its projection type is not ALL")
        }
        shaping = try read.shaping(schema: schema, input: &input, keysInFilter: keysInFilter,
                                   filterKeyNames: definition.keyNames, indexName: definition.name)
        if definition.isGlobal || definition.projection.projectionType == .all {
            wholeItem = false
        } else {
            // A local index answers from the base item what it does not project, as DynamoDB does.
            var wanted: Set<AttributeName> = []
            for path in shaping.projection ?? [] { wanted.insert(AttributeName(path.attribute)) }
            if let filter = shaping.filter { wanted.formUnion(ReadShaping.attributes(of: filter)) }
            wholeItem = read.select == .allAttributes || !rules.projects(wanted)
        }
    }

    /// The page entry of one index entry, or nil when the base item is not (or no longer) in
    /// this index partition. `accept` checks the entry's index key values.
    func entry(baseKey: [UInt8], items: LMDB.Database, txn: Transaction, run: [UInt8]?, entryDigest: [UInt8],
               accept: (_ partition: [AttributeValue], _ position: IndexPosition) -> Bool) throws -> StoredEntry? {
        guard let bytes = try txn.get(items, key: baseKey) else { return nil }
        let (item, itemSize) = try ShardLayout.decodeValue(bytes)
        // An item whose index key is missing (or, for an index added since, invalid) has no entry.
        guard let values = try? rules.keyValues(of: item) else { return nil }
        let key = try schema.storedKey(of: item)
        var keyItem = key.asItem(schema)
        for name in rules.definition.keyNames { keyItem[name] = item[name] }
        let position = IndexPosition(sort: values.sort, digest: entryDigest, keyItem: keyItem)
        guard accept(values.partition, position) else { return nil }
        let visible = wholeItem ? item : rules.project(item)
        let size = wholeItem ? itemSize : ItemValidation.size(of: visible)
        var result: Item? = visible
        if let filter = shaping.filter, !ConditionEvaluator.evaluate(filter, on: visible) {
            result = nil
        } else if shaping.countOnly {
            result = [:]
        } else if let projection = shaping.projection {
            result = Projection.apply(projection, to: visible)
        }
        return StoredEntry(key: key, size: size, result: result, run: run, position: position)
    }

    /// A cursor on this index's database in each shard read.
    func openCursors(_ txns: [Transaction], _ storages: [TableStorage]) throws -> [Cursor] {
        try zip(txns, storages).map { txn, storage in
            guard let index = storage.index(named: rules.name) else { throw ShoalError.internalError("Index storage is missing") }
            return try txn.openCursor(index.db)
        }
    }

    /// The position a page continues after: from an ExclusiveStartKey naming the table's and the
    /// index's key attributes.
    func startPosition(_ start: Item) throws(ShoalError) -> (partition: [AttributeValue], position: IndexPosition, entryKey: [UInt8]) {
        let expected = Set(schema.names.map { AttributeName($0) }).union(rules.definition.keyNames.map { AttributeName($0) })
        guard Set(start.keys) == expected else {
            throw .validation("The provided starting key is invalid: The provided key element does not match the schema")
        }
        let key: ItemKey
        do throws(ShoalError) {
            key = try schema.storedKey(of: start)
            for part in [schema.partition] + (schema.sort.map { [$0] } ?? []) where start[part.name]?.type != part.type.attributeType {
                throw ShoalError.validation("The provided key element does not match the schema")
            }
            guard let values = try rules.keyValues(of: start) else { throw ShoalError.validation("The provided key element does not match the schema") }
            let baseKey = KeyEncoding.itemKey(key)
            let digest = IndexKeyEncoding.baseDigest(baseKey)
            let entryKey = IndexKeyEncoding.entryKey(partition: values.partition, sort: values.sort, baseKey: baseKey)
            return (values.partition, IndexPosition(sort: values.sort, digest: digest, keyItem: start), entryKey)
        } catch {
            throw .validation("The provided starting key is invalid: \(error.message)")
        }
    }
}

extension Database {
    /// Runs `body` with a read transaction on each of `shardIndexes`, all open at once.
    func withSnapshots<R>(of shardIndexes: [Int], _ body: ([Transaction]) throws -> R) throws -> R {
        try withSnapshots(ArraySlice(shardIndexes.map { shards[$0] }), [], body)
    }
}
