/// One index's rules applied to items: which entry an item has, what the index projects, and what
/// an entry costs. Pure values; the writer and the readers share them.
struct IndexRules: Sendable {
    let definition: IndexDefinition
    let table: PrimaryKey
    /// Every attribute the index holds (nil: all of them).
    let projected: Set<AttributeName>?
    /// What to decode of a stored item to build its entry: the projected attributes, or only
    /// the keys when the entry reuses the item's stored value.
    let entrySelection: ItemCodec.AttributeSelection

    init(_ definition: IndexDefinition, table: PrimaryKey) {
        self.definition = definition
        self.table = table
        var keys = Set(table.names.map { AttributeName($0) })
        for name in definition.keyNames { keys.insert(AttributeName(name)) }
        switch definition.projection.projectionType {
        case .all: projected = nil
        case .keysOnly: projected = keys
        case .include: projected = keys.union((definition.projection.nonKeyAttributes ?? []).map { AttributeName($0) })
        }
        entrySelection = ItemCodec.AttributeSelection(projected ?? keys)
    }

    var name: String { definition.name }

    /// The item's index key values, or nil when it lacks one of them (a sparse index skips it).
    /// - Throws: DynamoDB's `ValidationException` for a key value of the wrong type, empty, or too large.
    func keyValues(of item: Item) throws(ShoalError) -> (partition: [AttributeValue], sort: [AttributeValue])? {
        var partition: [AttributeValue] = []
        var sort: [AttributeValue] = []
        var missing = false
        for (parts, isPartition) in [(definition.partition, true), (definition.sort, false)] {
            for part in parts {
                guard let value = item[part.name] else {
                    missing = true
                    continue
                }
                try check(value, part: part, isPartition: isPartition)
                if isPartition { partition.append(value) } else { sort.append(value) }
            }
        }
        return missing ? nil : (partition, sort)
    }

    /// The index key values of an item read through one of its entries: the values were checked
    /// when the entry was written, so this only extracts them (nil if one is missing).
    func storedKeyValues(of item: some AttributeLookup) -> (partition: [AttributeValue], sort: [AttributeValue])? {
        var partition: [AttributeValue] = []
        partition.reserveCapacity(definition.partition.count)
        for part in definition.partition {
            guard let value = item.topLevel(part.name) else { return nil }
            partition.append(value)
        }
        var sort: [AttributeValue] = []
        sort.reserveCapacity(definition.sort.count)
        for part in definition.sort {
            guard let value = item.topLevel(part.name) else { return nil }
            sort.append(value)
        }
        return (partition, sort)
    }

    /// Checks every index key attribute the item has, whether or not the item is indexed.
    func validate(_ item: Item) throws(ShoalError) {
        _ = try keyValues(of: item)
    }

    private func check(_ value: AttributeValue, part: PrimaryKey.Part, isPartition: Bool) throws(ShoalError) {
        guard value.type == part.type.attributeType else {
            throw .invalidParameter("Type mismatch for Index Key \(part.name) Expected: \(part.type.rawValue) Actual: \(value.type.rawValue) IndexName: \(name)")
        }
        switch value {
        case .s(let s) where s.isEmpty:
            throw .validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: \(name), IndexKey: \(part.name)")
        case .b(let b) where b.isEmpty:
            throw .validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: \(name), IndexKey: \(part.name)")
        default:
            break
        }
        let size = ItemValidation.size(of: value)
        if isPartition, size > PrimaryKey.maxPartitionKeyBytes {
            throw .invalidParameter("Index key \(part.name) of index \(name): Size of hashkey has exceeded the maximum size limit of 2048 bytes")
        }
        if !isPartition, size > PrimaryKey.maxSortKeyBytes {
            throw .invalidParameter("Index key \(part.name) of index \(name): Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
        }
    }

    /// The stored key of the item's entry, or nil when the item is not indexed.
    func entryKey(of item: Item, baseKey: [UInt8]) throws(ShoalError) -> [UInt8]? {
        try entryKey(of: item, baseDigest: IndexKeyEncoding.baseDigest(baseKey))
    }

    /// The same, with the digest of the base key computed once for all of a write's indexes.
    func entryKey(of item: Item, baseDigest: [UInt8]) throws(ShoalError) -> [UInt8]? {
        guard let values = try keyValues(of: item) else { return nil }
        return IndexKeyEncoding.entryKey(partition: values.partition, sort: values.sort, baseDigest: baseDigest)
    }

    /// The item as the index holds it.
    func project(_ item: Item) -> Item {
        guard let projected else { return item }
        var result: Item = [:]
        for name in projected {
            if let value = item[name] { result[name] = value }
        }
        return result
    }

    /// DynamoDB's size of an index entry: the projected attributes (keys included) plus 100 bytes.
    func entrySize(of item: Item, itemSize: Int) -> Int {
        projectedSize(of: item, itemSize: itemSize) + 100
    }

    /// The stored value of what the index holds of an item: the item's own stored value when it
    /// projects everything, else its projection's.
    func projectedValue(of item: Item, storedValue: [UInt8]) -> [UInt8] {
        guard projected != nil else { return storedValue }
        let projection = project(item)
        return ShardLayout.encodeValue(item: projection, size: ItemValidation.size(of: projection))
    }

    /// The size of what the index holds of an item (keys included): what its reads and writes cost.
    func projectedSize(of item: Item, itemSize: Int) -> Int {
        projected == nil ? itemSize : ItemValidation.size(of: project(item))
    }

    /// Write capacity units a table write costs this index, by DynamoDB's rules: one write to add
    /// or remove an entry, two when its index key changed (delete, then put), one when only
    /// projected attributes changed, none when the index holds nothing that changed. Each write
    /// costs 1 unit per KB of the entry.
    /// `projectionChanged`: whether what the entry holds changed, when its key stays.
    func writeUnits(old: OldItem?, new: NewItem?, oldEntry: [UInt8]?, newEntry: [UInt8]?, projectionChanged: Bool) -> Double {
        func units(_ item: Item, _ size: Int) -> Double { CapacityUnits.write(bytes: projectedSize(of: item, itemSize: size)) }
        switch (oldEntry, newEntry) {
        case (nil, nil):
            return 0
        case (_?, nil):
            return units(old!.item, old!.size)
        case (nil, _?):
            return units(new!.item, new!.size)
        case let (a?, b?) where a != b:
            return units(old!.item, old!.size) + units(new!.item, new!.size)
        default:
            return projectionChanged ? units(new!.item, new!.size) : 0
        }
    }

    /// Whether a read that asks for these attributes can be answered from the index alone.
    func projects(_ names: Set<AttributeName>) -> Bool {
        guard let projected else { return true }
        return names.isSubset(of: projected)
    }
}
