/// DynamoDB's rules for attribute values and item size, checked before anything is stored.
public enum ItemValidation {
    /// DynamoDB's item size limit (400 KB).
    public static let maxItemSize = 400 * 1024
    /// Maps and lists nest at most this deep.
    public static let maxNestingDepth = 32
    /// DynamoDB's message for values nested deeper than ``maxNestingDepth``.
    public static let nestingMessage = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"

    /// Checks every value of `item`.
    /// - Throws: ``ShoalError`` (`ValidationException`) naming the first problem.
    /// - Returns: the item's size by DynamoDB's rules.
    @discardableResult
    public static func validate(item: Item) throws(ShoalError) -> Int {
        var size = 0
        for (name, value) in item {
            try checkName(name.string)
            try validate(value, depth: 0)
            size += name.utf8.count + self.size(of: value)
        }
        guard size <= maxItemSize else {
            throw .validation("Item size has exceeded the maximum allowed size")
        }
        return size
    }

    /// Attribute names are 1 to 65,535 bytes long.
    public static let maxAttributeNameBytes = 65535

    /// Checks an attribute name's length, wherever a request names an attribute.
    public static func checkName(_ name: String) throws(ShoalError) {
        if name.isEmpty { throw .invalidParameter("Empty attribute name") }
        let size = name.utf8.count
        if size > maxAttributeNameBytes {
            throw .invalidParameter("Attribute name is too large, must be at most \(maxAttributeNameBytes) bytes; size: \(size)")
        }
    }

    /// Checks one value (sets non-empty and without duplicates, nesting depth, map keys).
    public static func validate(_ value: AttributeValue, depth: Int = 0) throws(ShoalError) {
        switch value {
        case .s, .n, .b, .bool, .null:
            return
        case .ss(let set):
            guard !set.isEmpty else { throw .invalidParameter("An string set  may not be empty") }
            if Bytewise.hasDuplicates(set) {
                throw .invalidParameter("Input collection \(listText(set)) contains duplicates.")
            }
        case .ns(let set):
            guard !set.isEmpty else { throw .invalidParameter("An number set  may not be empty") }
            if Set(set).count != set.count {
                throw .invalidParameter("Input collection \(listText(set.map(\.description))) contains duplicates.")
            }
        case .bs(let set):
            guard !set.isEmpty else { throw .invalidParameter("Binary sets should not be empty") }
            if Set(set).count != set.count {
                throw .invalidParameter("Input collection contains duplicates.")
            }
        case .m(let map):
            guard depth < maxNestingDepth else { throw .validation(nestingMessage) }
            for (_, v) in map { try validate(v, depth: depth + 1) }
        case .l(let list):
            guard depth < maxNestingDepth else { throw .validation(nestingMessage) }
            for v in list { try validate(v, depth: depth + 1) }
        }
    }

    private static func listText(_ values: [String]) -> String { "[" + values.joined(separator: ", ") + "]" }

    /// The item's size by DynamoDB's rules: attribute names plus values.
    public static func size(of item: Item) -> Int {
        var total = 0
        for (name, value) in item { total += name.utf8.count + size(of: value) }
        return total
    }

    /// A value's size by DynamoDB's rules (without its attribute name).
    public static func size(of value: AttributeValue) -> Int {
        switch value {
        case .s(let v): return v.utf8.count
        case .n(let v): return v.dynamoSize
        case .b(let v): return v.count
        case .bool, .null: return 1
        case .ss(let v): return v.reduce(0) { $0 + $1.utf8.count }
        case .ns(let v): return v.reduce(0) { $0 + $1.dynamoSize }
        case .bs(let v): return v.reduce(0) { $0 + $1.count }
        // Three bytes for the container, one per element, plus the elements (and map keys).
        case .m(let v): return 3 + v.reduce(0) { $0 + 1 + $1.key.utf8.count + size(of: $1.value) }
        case .l(let v): return 3 + v.reduce(0) { $0 + 1 + size(of: $1) }
        }
    }
}
