/// Shoal's stored key and value bytes, for the benchmark baselines that store the very same
/// bytes in raw LMDB and SQLite. Not API: the layout is described in DESIGN.md.
@_spi(Benchmarks)
public enum StorageFormat {
    /// Bumped whenever stored keys or values change layout.
    public static let version = 2

    /// The LMDB key of an item with these key values.
    public static func key(partition: AttributeValue, sort: AttributeValue?) -> [UInt8] {
        KeyEncoding.itemKey(partition: partition, sort: sort)
    }

    /// The stored value of an item (its size, then its encoding).
    public static func value(of item: Item) -> [UInt8] {
        ShardLayout.encodeValue(item: item, size: ItemValidation.size(of: item))
    }

    /// Decodes a stored value.
    public static func item(fromValue bytes: [UInt8]) throws -> Item {
        try ShardLayout.decodeValue(bytes).item
    }
}
