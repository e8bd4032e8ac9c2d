/// An item as reads return it: a view over the item's stored bytes that decodes an attribute
/// only when it is read, and becomes a dictionary (``Item``) only when it is changed or asked
/// for one.
///
/// It reads like an ``Item``: `item["name"]`, `item.count`, `for (name, value) in item`, `==`
/// against a dictionary literal. Setting an attribute makes it a dictionary first. Pass
/// ``dictionary`` where an ``Item`` is needed.
///
/// ```swift
/// let user = try await db.getItem(GetItemRequest(tableName: "Users", key: ["id": "u1"])).item
/// let name = user?["name"]          // decodes `name` alone
/// var copy = user?.dictionary       // the whole item as [AttributeName: AttributeValue]
/// ```
public struct LazyItem: Sendable {
    enum Storage: Sendable {
        case encoded(EncodedItem)
        case decoded(Item)
    }

    private(set) var storage: Storage

    /// An item held as a dictionary.
    public init(_ item: Item) { storage = .decoded(item) }

    init(encoded: EncodedItem) { storage = .encoded(encoded) }

    /// A read's result: the stored item itself, or (with a projection) the projected attributes.
    init(_ encoded: EncodedItem, projection: [DocumentPath]?) {
        if let projection {
            // Top-level names copy the selected attributes' bytes; a path into a value decodes.
            if let subset = encoded.projected(projection) {
                storage = .encoded(subset)
            } else {
                storage = .decoded(Projection.apply(projection, to: encoded.decoded))
            }
        } else {
            storage = .encoded(encoded)
        }
    }

    /// The value of the attribute `name`, or nil. Setting one turns the item into a dictionary.
    public subscript(name: AttributeName) -> AttributeValue? {
        get {
            switch storage {
            case .encoded(let encoded): return encoded.value(of: name)
            case .decoded(let item): return item[name]
            }
        }
        set {
            var item = dictionary
            item[name] = newValue
            storage = .decoded(item)
        }
    }

    /// The value of the attribute `name` (compared by bytes), or nil.
    public subscript(name: String) -> AttributeValue? {
        get { self[AttributeName(name)] }
        set { self[AttributeName(name)] = newValue }
    }

    /// The whole item as a dictionary (decoded now when the item is still its stored bytes).
    public var dictionary: Item {
        switch storage {
        case .encoded(let encoded): return encoded.decoded
        case .decoded(let item): return item
        }
    }

    /// The number of attributes.
    public var count: Int {
        switch storage {
        case .encoded(let encoded): return encoded.count
        case .decoded(let item): return item.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// The attribute names (in no particular order, as a dictionary's keys).
    public var keys: [AttributeName] {
        switch storage {
        case .encoded(let encoded): return encoded.keys
        case .decoded(let item): return Array(item.keys)
        }
    }
}

extension LazyItem: Sequence {
    public typealias Element = (key: AttributeName, value: AttributeValue)

    /// The attributes, decoded, as a dictionary iterates them.
    public func makeIterator() -> Item.Iterator { dictionary.makeIterator() }

    public var underestimatedCount: Int { count }
}

extension LazyItem: Equatable {
    /// Equal when they hold the same attributes and values (by DynamoDB's rules for sets).
    public static func == (lhs: LazyItem, rhs: LazyItem) -> Bool {
        if case .encoded(let a) = lhs.storage, case .encoded(let b) = rhs.storage,
           Bytewise.equal(a.bytes.span.extracting(a.start...), b.bytes.span.extracting(b.start...)) {
            return true
        }
        return lhs.dictionary == rhs.dictionary
    }

}

// Read results compare with dictionaries as they did when reads returned dictionaries.
// `response.item != nil` picks these overloads (a nil literal is an `Item?`), so a missing side
// answers at once: only two present items are compared, and only when their counts agree.
public func == (lhs: LazyItem?, rhs: Item?) -> Bool {
    switch (lhs, rhs) {
    case (.none, .none): return true
    case let (.some(lazy), .some(item)): return lazy.count == item.count && lazy.dictionary == item
    default: return false
    }
}
public func == (lhs: Item?, rhs: LazyItem?) -> Bool { rhs == lhs }
public func != (lhs: LazyItem?, rhs: Item?) -> Bool { !(lhs == rhs) }
public func != (lhs: Item?, rhs: LazyItem?) -> Bool { !(lhs == rhs) }
public func == (lhs: [LazyItem], rhs: [Item]) -> Bool { lhs.dictionaries == rhs }
public func == (lhs: [Item], rhs: [LazyItem]) -> Bool { lhs == rhs.dictionaries }

extension LazyItem: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(dictionary) }
}

extension LazyItem: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (AttributeName, AttributeValue)...) {
        self.init(Item(elements, uniquingKeysWith: { $1 }))
    }
}

extension LazyItem: CustomStringConvertible {
    public var description: String { AttributeValue.m(dictionary).description }
}

extension Dictionary where Key == AttributeName, Value == AttributeValue {
    /// The item a read returned, as a dictionary.
    public init(_ item: LazyItem) { self = item.dictionary }
}

extension Array where Element == LazyItem {
    /// The items as dictionaries.
    public var dictionaries: [Item] { map(\.dictionary) }
}
