/// Reading, writing and removing values at document paths inside items.
extension DocumentPath {
    /// The value at this path, or nil when any step is missing or of the wrong kind.
    func value(in item: Item) -> AttributeValue? {
        guard case .name(let top) = elements[0], let root = item[top] else { return nil }
        return descend(from: root)
    }

    /// Sets the value at this path. The parent must exist: a map for a key, a list for an index
    /// (an index past the end appends).
    /// - Throws: DynamoDB's "document path … invalid for update" when the parent is missing or of the wrong type.
    func set(_ value: AttributeValue, in item: inout Item) throws(ShoalError) {
        guard case .name(let top) = elements[0] else { throw DocumentPath.invalidForUpdate }
        if elements.count == 1 {
            item[top] = value
            return
        }
        guard var root = item[top] else { throw DocumentPath.invalidForUpdate }
        try DocumentPath.set(value, at: elements.dropFirst(), in: &root)
        item[top] = root
    }

    private static func set(_ value: AttributeValue, at rest: ArraySlice<PathElement>, in container: inout AttributeValue) throws(ShoalError) {
        let element = rest.first!
        let remaining = rest.dropFirst()
        switch (element, container) {
        case (.name(let key), .m(var map)):
            if remaining.isEmpty {
                map[key] = value
            } else {
                guard var child = map[key] else { throw invalidForUpdate }
                try set(value, at: remaining, in: &child)
                map[key] = child
            }
            container = .m(map)
        case (.index(let i), .l(var list)):
            if remaining.isEmpty {
                if i < list.count { list[i] = value } else { list.append(value) }
            } else {
                guard i < list.count else { throw invalidForUpdate }
                var child = list[i]
                try set(value, at: remaining, in: &child)
                list[i] = child
            }
            container = .l(list)
        default:
            throw invalidForUpdate
        }
    }

    /// Removes the value at this path; a missing last step is not an error, a missing parent is.
    func remove(from item: inout Item) throws(ShoalError) {
        guard case .name(let top) = elements[0] else { throw DocumentPath.invalidForUpdate }
        if elements.count == 1 {
            item[top] = nil
            return
        }
        guard var root = item[top] else { throw DocumentPath.invalidForUpdate }
        try DocumentPath.remove(at: elements.dropFirst(), in: &root)
        item[top] = root
    }

    private static func remove(at rest: ArraySlice<PathElement>, in container: inout AttributeValue) throws(ShoalError) {
        let element = rest.first!
        let remaining = rest.dropFirst()
        switch (element, container) {
        case (.name(let key), .m(var map)):
            if remaining.isEmpty {
                map[key] = nil
            } else {
                guard var child = map[key] else { throw invalidForUpdate }
                try remove(at: remaining, in: &child)
                map[key] = child
            }
            container = .m(map)
        case (.index(let i), .l(var list)):
            if remaining.isEmpty {
                if i < list.count { list.remove(at: i) }
            } else {
                guard i < list.count else { throw invalidForUpdate }
                var child = list[i]
                try remove(at: remaining, in: &child)
                list[i] = child
            }
            container = .l(list)
        default:
            throw invalidForUpdate
        }
    }

    static let invalidForUpdate = ShoalError.validation("The document path provided in the update expression is invalid for update")
}

/// ProjectionExpression and AttributesToGet: the parts of an item that a read returns.
enum Projection {
    /// The item restricted to `paths`. Lists keep only the projected elements, in index order.
    static func apply(_ paths: [DocumentPath], to item: Item) -> Item {
        var result: Item = [:]
        for (name, subpaths) in group(paths.map { ArraySlice($0.elements) }) {
            guard case .name(let top) = name, let value = item[top] else { continue }
            if let projected = project(value, subpaths) { result[top] = projected }
        }
        return result
    }

    /// Groups paths by their first element; an empty remainder means "the whole value".
    private static func group(_ paths: [ArraySlice<PathElement>]) -> [(PathElement, [ArraySlice<PathElement>])] {
        var order: [PathElement] = []
        var groups: [PathElement: [ArraySlice<PathElement>]] = [:]
        for path in paths {
            guard let first = path.first else { continue }
            if groups[first] == nil { order.append(first) }
            groups[first, default: []].append(path.dropFirst())
        }
        return order.map { ($0, groups[$0]!) }
    }

    private static func project(_ value: AttributeValue, _ subpaths: [ArraySlice<PathElement>]) -> AttributeValue? {
        if subpaths.contains(where: \.isEmpty) { return value }
        switch value {
        case .m(let map):
            var out: Item = [:]
            for (element, rest) in group(subpaths) {
                guard case .name(let key) = element, let child = map[key] else { continue }
                if let projected = project(child, rest) { out[key] = projected }
            }
            return out.isEmpty ? nil : .m(out)
        case .l(let list):
            var picked: [(Int, AttributeValue)] = []
            for (element, rest) in group(subpaths) {
                guard case .index(let i) = element, i < list.count else { continue }
                if let projected = project(list[i], rest) { picked.append((i, projected)) }
            }
            return picked.isEmpty ? nil : .l(picked.sorted { $0.0 < $1.0 }.map(\.1))
        default:
            return nil
        }
    }
}
