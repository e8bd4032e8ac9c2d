/// Applies an ``UpdateExpression`` to an item: a pure step from the old item to the new one.
///
/// SET values are computed from the item as it was before the update; then REMOVE, ADD and
/// DELETE run. Paths never overlap (the parser rejects that), so the order cannot change the result.
enum UpdateApplier {
    static let incorrectType = ShoalError.validation("An operand in the update expression has an incorrect data type")
    static let missingAttribute = ShoalError.validation("The provided expression refers to an attribute that does not exist in the item")

    /// - Parameters:
    ///   - old: the stored item, or nil (an upsert starts from the key attributes).
    ///   - key: the item's key attributes.
    static func apply(_ update: UpdateExpression, to old: Item?, key: Item) throws(ShoalError) -> Item {
        let base = old ?? key
        var item = base
        var values: [(DocumentPath, AttributeValue)] = []
        for action in update.set {
            values.append((action.path, try evaluate(action.value, in: base)))
        }
        for (path, value) in appendOrder(values) {
            // set_delete can leave a set empty, which DynamoDB cannot store: the attribute goes.
            switch value {
            case .ss([]), .ns([]), .bs([]): try path.remove(from: &item)
            default: try path.set(value, in: &item)
            }
        }

        // Remove list elements from the highest index down, so earlier removals do not shift later ones.
        for path in update.remove.sorted(by: removalOrder) { try path.remove(from: &item) }

        for action in update.add {
            guard case .value(let value) = action.value else { throw incorrectType }
            switch (action.path.value(in: item), value) {
            case (nil, .n), (nil, .ss), (nil, .ns), (nil, .bs):
                try action.path.set(value, in: &item)
            case let (.n(a)?, .n(b)):
                try action.path.set(.n(try arithmetic { () throws(NumberError) in try a + b }), in: &item)
            case let (.ss(a)?, .ss(b)):
                let present = Set(a.map { AttributeName($0) })
                try action.path.set(.ss(a + b.filter { !present.contains(AttributeName($0)) }), in: &item)
            case let (.ns(a)?, .ns(b)):
                let present = Set(a)
                try action.path.set(.ns(a + b.filter { !present.contains($0) }), in: &item)
            case let (.bs(a)?, .bs(b)):
                let present = Set(a)
                try action.path.set(.bs(a + b.filter { !present.contains($0) }), in: &item)
            default:
                throw incorrectType
            }
        }

        for action in update.delete {
            guard case .value(let value) = action.value else { throw incorrectType }
            let remaining: AttributeValue?
            switch (action.path.value(in: item), value) {
            case (nil, _):
                continue
            case let (.ss(a)?, .ss(b)):
                let removed = Set(b.map { AttributeName($0) })
                let left = a.filter { !removed.contains(AttributeName($0)) }
                remaining = left.isEmpty ? nil : .ss(left)
            case let (.ns(a)?, .ns(b)):
                let removed = Set(b)
                let left = a.filter { !removed.contains($0) }
                remaining = left.isEmpty ? nil : .ns(left)
            case let (.bs(a)?, .bs(b)):
                let removed = Set(b)
                let left = a.filter { !removed.contains($0) }
                remaining = left.isEmpty ? nil : .bs(left)
            default:
                throw incorrectType
            }
            // A set that becomes empty disappears, as DynamoDB allows no empty sets.
            if let remaining { try action.path.set(remaining, in: &item) } else { try action.path.remove(from: &item) }
        }
        return item
    }

    /// SETs of elements of one list in ascending index order (each keeping the slot of the
    /// group), so that several elements set past the end are appended as DynamoDB appends them:
    /// by index, whatever order they were written in.
    static func appendOrder(_ values: [(DocumentPath, AttributeValue)]) -> [(DocumentPath, AttributeValue)] {
        var groups: [DocumentPath: [Int]] = [:]
        for (position, (path, _)) in values.enumerated() {
            if case .index = path.elements.last!, path.elements.count > 1 {
                groups[DocumentPath(Array(path.elements.dropLast())), default: []].append(position)
            }
        }
        var ordered = values
        for positions in groups.values where positions.count > 1 {
            let byIndex = positions.sorted { a, b in
                guard case .index(let x) = values[a].0.elements.last!, case .index(let y) = values[b].0.elements.last! else { return false }
                return x < y
            }
            for (slot, source) in zip(positions, byIndex) { ordered[slot] = values[source] }
        }
        return ordered
    }

    /// The value of a SET operand.
    static func evaluate(_ operand: Operand, in item: Item) throws(ShoalError) -> AttributeValue {
        switch operand {
        case .path(let path):
            guard let value = path.value(in: item) else { throw missingAttribute }
            return value
        case .value(let value):
            return value
        case let .ifNotExists(path, fallback):
            if let value = path.value(in: item) { return value }
            return try evaluate(fallback, in: item)
        case let .listAppend(a, b):
            guard case .l(let x) = try evaluate(a, in: item), case .l(let y) = try evaluate(b, in: item) else { throw incorrectType }
            return .l(x + y)
        case let .plus(a, b), let .minus(a, b):
            guard case .n(let x) = try evaluate(a, in: item), case .n(let y) = try evaluate(b, in: item) else { throw incorrectType }
            let isPlus: Bool
            if case .plus = operand { isPlus = true } else { isPlus = false }
            return .n(try arithmetic { () throws(NumberError) in isPlus ? try x + y : try x - y })
        case let .setAdd(a, b), let .setDelete(a, b):
            let adding: Bool
            if case .setAdd = operand { adding = true } else { adding = false }
            switch (try evaluate(a, in: item), try evaluate(b, in: item)) {
            case let (.ss(x), .ss(y)):
                let names = Set(y.map { AttributeName($0) })
                if adding {
                    let present = Set(x.map { AttributeName($0) })
                    return .ss(x + y.filter { !present.contains(AttributeName($0)) })
                }
                return .ss(x.filter { !names.contains(AttributeName($0)) })
            case let (.ns(x), .ns(y)):
                let present = Set(adding ? x : y)
                return .ns(adding ? x + y.filter { !present.contains($0) } : x.filter { !present.contains($0) })
            case let (.bs(x), .bs(y)):
                let other = Set(y)
                if adding {
                    let present = Set(x)
                    return .bs(x + y.filter { !present.contains($0) })
                }
                return .bs(x.filter { !other.contains($0) })
            default:
                throw incorrectType
            }
        case .size:
            throw incorrectType
        }
    }

    private static func arithmetic(_ body: () throws(NumberError) -> Number) throws(ShoalError) -> Number {
        do {
            return try body()
        } catch .tooManyDigits {
            // DynamoDB reports a result that needs more than 38 digits as an overflow.
            throw .validation(NumberError.overflow.description)
        } catch {
            throw .validation(error.description)
        }
    }

    /// Orders REMOVE paths so that, among elements of the same list, higher indexes go first.
    private static func removalOrder(_ a: DocumentPath, _ b: DocumentPath) -> Bool {
        for (x, y) in zip(a.elements, b.elements) where x != y {
            switch (x, y) {
            case let (.index(i), .index(j)): return i > j
            case let (.name(m), .name(n)): return m < n
            case (.name, .index): return true
            case (.index, .name): return false
            }
        }
        return a.elements.count > b.elements.count
    }
}
