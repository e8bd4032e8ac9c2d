import LMDB

/// What Query and Scan on an index share: choosing the index, the Select and ConsistentRead
/// rules, and turning one index entry into a page entry by reading its base item.
struct IndexRead {
    let rules: IndexRules
    let schema: PrimaryKey
    let shaping: ReadShaping
    /// Whether reads see the whole base item (a local index asked for more than it projects).
    let wholeItem: Bool
    /// The top-level attributes each entry decodes: the table's and the index's keys and what
    /// the filter reads. What the response gets stays encoded (``LazyItem``).
    private let selection: ItemCodec.AttributeSelection
    /// The table's and the index's key attribute names (a LastEvaluatedKey's attributes).
    private let keyNames: [AttributeName]

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
        var keys: [AttributeName] = schema.names.map { AttributeName($0) }
        for name in definition.keyNames where !keys.contains(AttributeName(name)) { keys.append(AttributeName(name)) }
        keyNames = keys
        var wanted: Set<AttributeName> = []
        for path in shaping.projection ?? [] { wanted.insert(AttributeName(path.attribute)) }
        // A global index holds only what it projects: asking for more is an error, not a
        // silently thinner item.
        if definition.isGlobal, let projected = rules.projected,
           let missing = wanted.filter({ !projected.contains($0) }).sorted().first {
            throw .validation("One or more parameter values were invalid: Global secondary index \(definition.name) does not project the requested attribute \(missing.string); request only attributes the index projects")
        }
        let filtered = shaping.filter.map(ReadShaping.attributes(of:)) ?? []
        if definition.isGlobal || definition.projection.projectionType == .all {
            wholeItem = false
        } else {
            // A local index answers from the base item what it does not project, as DynamoDB does.
            wholeItem = read.select == .allAttributes || !rules.projects(wanted.union(filtered))
        }
        selection = ItemCodec.AttributeSelection(Set(keys).union(filtered))
    }

    /// The page entry of one index entry (its stored value), or nil when the item is not in this
    /// index partition. `accept` checks the entry's index key values.
    func entry(value: [UInt8], items: LMDB.Database, txn: Transaction, run: [UInt8]?, entryDigest: [UInt8],
               accept: (_ partition: [AttributeValue], _ position: IndexPosition) -> Bool) throws -> StoredEntry? {
        let layout = try IndexKeyEncoding.entryValueLayout(value)
        // The entry holds what the index projects; a local index asked for more reads the item.
        var bytes = value
        var offset = layout.projectedOffset
        if wholeItem {
            guard let item = try txn.get(items, key: Array(value[layout.baseKey])) else { return nil }
            bytes = item
            offset = 0
        }
        var reader = ByteReader(bytes, offset: offset)
        let storedSize = try reader.varint()
        let start = reader.offset
        let selected = try SelectedAttributes(bytes, from: start, selection: selection)
        guard let values = rules.storedKeyValues(of: selected) else { return nil }
        var keyValues: [AttributeValue] = []
        keyValues.reserveCapacity(keyNames.count)
        for name in keyNames {
            guard let value = selected.topLevel(name.string) else { throw ByteReader.corrupt }
            keyValues.append(value)
        }
        let position = IndexPosition(sort: values.sort, digest: entryDigest, keyNames: keyNames, keyValues: keyValues)
        guard accept(values.partition, position) else { return nil }
        let key = try selected.key(schema)
        // The entry's size is what it projects (stored with it); a fetch also reads the item from the table.
        let size = wholeItem ? ItemValidation.size(of: rules.project(try ItemCodec.decode(bytes, from: start))) : storedSize
        let result: LazyItem?
        if let filter = shaping.filter, !ConditionEvaluator.evaluate(filter, on: selected) {
            result = nil
        } else if shaping.countOnly {
            result = [:]
        } else {
            result = LazyItem(try EncodedItem.checked(bytes, from: start), projection: shaping.projection)
        }
        return StoredEntry(key: key, size: size, result: result, run: run, position: position, fetchedSize: wholeItem ? storedSize : 0)
    }

    /// A page's read units: the index's, by the entries read, and, for a local index that fetched
    /// base items, the table's by the items fetched (DynamoDB's rules).
    func capacity(_ page: PageAssembler, consistent: Bool) -> ConsumedCapacity {
        var capacity = ConsumedCapacity()
        capacity.add(index: rules.name, global: rules.definition.isGlobal,
                     units: CapacityUnits.read(bytes: page.scannedBytes, consistent: consistent))
        if page.fetchedBytes > 0 { capacity.table = CapacityUnits.read(bytes: page.fetchedBytes, consistent: consistent) }
        return capacity
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
            return (values.partition, IndexPosition(sort: values.sort, digest: digest, keyNames: Array(start.keys), keyValues: Array(start.values)), entryKey)
        } catch {
            throw .validation("The provided starting key is invalid: \(error.message)")
        }
    }
}

extension Database {
    /// Runs `body` with a read transaction on each of `shardIndexes`, all open at once.
    func withSnapshots<R>(of shardIndexes: [Int], _ body: ([Transaction]) throws -> R) throws -> R {
        try withSnapshots(ArraySlice(shardIndexes.map { shards[$0] }), body)
    }
}
