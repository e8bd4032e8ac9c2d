/// DynamoDB's rules for key attributes, with its error messages.
extension PrimaryKey {
    static let maxPartitionKeyBytes = 2048
    static let maxSortKeyBytes = 1024

    /// The key of an item being written (PutItem, BatchWriteItem's PutRequest).
    func key(ofItem item: Item) throws(ShoalError) -> ItemKey {
        let partitionValue = try value(of: partition, in: item)
        let sortValue = try sort.map { part throws(ShoalError) in try value(of: part, in: item) }
        let key = ItemKey(partition: partitionValue, sort: sortValue)
        try checkSizes(key)
        return key
    }

    private func value(of part: Part, in item: Item) throws(ShoalError) -> AttributeValue {
        guard let value = item[part.name] else {
            throw .invalidParameter("Missing the key \(part.name) in the item")
        }
        guard value.type == part.type.attributeType else {
            throw .invalidParameter("Type mismatch for key \(part.name) expected: \(part.type.rawValue) actual: \(value.type.rawValue)")
        }
        try Self.checkNotEmpty(value, name: part.name)
        return value
    }

    /// The key given to GetItem, DeleteItem, BatchGetItem or a DeleteRequest: exactly the key attributes.
    func key(fromKey attributes: Item) throws(ShoalError) -> ItemKey {
        guard attributes.count == names.count, let partitionValue = attributes[partition.name] else { throw Self.mismatch }
        var sortValue: AttributeValue?
        if let sort {
            guard let value = attributes[sort.name] else { throw Self.mismatch }
            sortValue = value
        }
        return try key(partition: partitionValue, sort: sortValue)
    }

    private static let mismatch = ShoalError.validation("The provided key element does not match the schema")

    /// A key from the values of its attributes, checked as `key(fromKey:)` checks a key.
    func key(partition partitionValue: AttributeValue, sort sortValue: AttributeValue?) throws(ShoalError) -> ItemKey {
        guard partitionValue.type == partition.type.attributeType, (sort == nil) == (sortValue == nil) else { throw Self.mismatch }
        try Self.checkNotEmpty(partitionValue, name: partition.name)
        if let sort, let sortValue {
            guard sortValue.type == sort.type.attributeType else { throw Self.mismatch }
            try Self.checkNotEmpty(sortValue, name: sort.name)
        }
        let key = ItemKey(partition: partitionValue, sort: sortValue)
        try checkSizes(key)
        return key
    }

    /// The key of an item read from storage (already valid when it was written).
    func storedKey(of item: Item) throws(ShoalError) -> ItemKey {
        guard let partitionValue = item[partition.name] else { throw ByteReader.corrupt }
        var sortValue: AttributeValue?
        if let sort {
            guard let value = item[sort.name] else { throw ByteReader.corrupt }
            sortValue = value
        }
        return ItemKey(partition: partitionValue, sort: sortValue)
    }

    static func checkNotEmpty(_ value: AttributeValue, name: String) throws(ShoalError) {
        switch value {
        case .s(let s) where s.isEmpty:
            throw .validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: \(name)")
        case .b(let b) where b.isEmpty:
            throw .validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: \(name)")
        default:
            return
        }
    }

    private func checkSizes(_ key: ItemKey) throws(ShoalError) {
        if ItemValidation.size(of: key.partition) > Self.maxPartitionKeyBytes {
            throw .invalidParameter("Size of hashkey has exceeded the maximum size limit of 2048 bytes")
        }
        if let sort = key.sort, ItemValidation.size(of: sort) > Self.maxSortKeyBytes {
            throw .invalidParameter("Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
        }
    }
}
