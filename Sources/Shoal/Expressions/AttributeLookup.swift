/// Where a condition reads an item's top-level attributes from: a dictionary, or the few
/// attributes a filter names, decoded from the stored bytes (``SelectedAttributes``).
protocol AttributeLookup {
    /// The top-level attribute `name`, or nil when the item has none.
    func topLevel(_ name: String) -> AttributeValue?
}

extension Dictionary: AttributeLookup where Key == AttributeName, Value == AttributeValue {
    func topLevel(_ name: String) -> AttributeValue? { self[AttributeName(name)] }
}

extension DocumentPath {
    /// The value at this path in `item`, or nil when any step is missing or of the wrong kind.
    func value(in item: some AttributeLookup) -> AttributeValue? {
        guard case .name(let top) = elements[0], let root = item.topLevel(top) else { return nil }
        return descend(from: root)
    }

    /// The value the path's steps after the first lead to inside `root`.
    func descend(from root: AttributeValue) -> AttributeValue? {
        var current = root
        for element in elements.dropFirst() {
            switch (element, current) {
            case let (.name(key), .m(map)):
                guard let next = map[key] else { return nil }
                current = next
            case let (.index(i), .l(list)):
                guard i < list.count else { return nil }
                current = list[i]
            default:
                return nil
            }
        }
        return current
    }
}

extension EncodedItem: AttributeLookup {
    func topLevel(_ name: String) -> AttributeValue? { value(of: AttributeName(name)) }
}
