import Synchronization

/// Statements already parsed, by their text, so that a statement run again with new parameters
/// is neither lexed nor parsed again; and for a SELECT that names one item by its full key, the
/// point read it compiles to (checked against the table it was compiled for on every use).
/// Bounded: past `capacity` statements it starts over.
final class PartiQLStatementCache: Sendable {
    static let capacity = 512

    /// One statement: parsed, and (a SELECT, once run) compiled for the table of `tableID`.
    final class Entry: Sendable {
        let statement: PartiQLStatement
        let parameterCount: Int
        let tableID: String?
        /// Nil when the SELECT is not a point read on that table.
        let point: PartiQLPointRead?

        init(_ statement: PartiQLStatement, tableID: String? = nil, point: PartiQLPointRead? = nil) {
            self.statement = statement
            parameterCount = statement.parameterCount
            self.tableID = tableID
            self.point = point
        }
    }

    private let entries = Mutex<[String: Entry]>([:])

    func entry(_ text: String) throws(ShoalError) -> Entry {
        if let cached = entries.withLock({ $0[text] }) { return cached }
        let entry = Entry(try PartiQLParser.parse(text))
        store(text, entry)
        return entry
    }

    /// The point read a SELECT entry compiles to on `handle`'s table, or nil.
    func pointRead(_ text: String, _ entry: Entry, _ select: PartiQLSelect, handle: TableHandle) -> PartiQLPointRead? {
        let id = handle.definition.id
        if entry.tableID == id { return entry.point }
        let compiled = Entry(entry.statement, tableID: id, point: PartiQLPointRead(select, schema: handle.key))
        store(text, compiled)
        return compiled.point
    }

    private func store(_ text: String, _ entry: Entry) {
        entries.withLock { entries in
            if entries.count >= PartiQLStatementCache.capacity && entries[text] == nil { entries.removeAll(keepingCapacity: true) }
            entries[text] = entry
        }
    }
}

/// A SELECT whose WHERE names a table item by equality on every key attribute, compiled once:
/// where the key values come from, and the rest of the clause, which filters the one item read.
final class PartiQLPointRead: Sendable {
    let partition: PartiQLExpression
    let sort: PartiQLExpression?
    let rest: PartiQLExpression?
    let shape: PartiQLProjection
    let schema: PrimaryKey

    init?(_ select: PartiQLSelect, schema: PrimaryKey) {
        guard select.index == nil else { return nil }
        var remaining = PartiQLKeys.conjuncts(select.condition)
        func take(_ name: String) -> PartiQLExpression? {
            guard let position = remaining.firstIndex(where: { PartiQLKeys.equality($0, on: name) != nil }) else { return nil }
            return PartiQLKeys.equality(remaining.remove(at: position), on: name)
        }
        guard let partition = take(schema.partition.name) else { return nil }
        var sort: PartiQLExpression?
        if let sortKey = schema.sort {
            guard let value = take(sortKey.name) else { return nil }
            sort = value
        }
        // ORDER BY on a key is allowed (one item has one order); anything else takes the general path's error.
        for (path, _) in select.orderBy {
            let key = DocumentPath(path)
            guard key.isTopLevel, schema.names.contains(where: { Bytewise.equal($0, key.attribute) }) else { return nil }
        }
        self.partition = partition
        self.sort = sort
        rest = PartiQLKeys.joined(remaining)
        shape = PartiQLProjection(select.projection)
        self.schema = schema
    }

    /// Reads the item: none when a bound key value has another type than the key (no item can match).
    func run(on database: Database, handle: TableHandle, binding: PartiQLBinding, consistent: Bool) throws(ShoalError)
        -> PartiQLSelectPlan.Page {
        var page = PartiQLSelectPlan.Page()
        guard let partitionValue = try binding.value(partition), partitionValue.type == schema.partition.type.attributeType else {
            return page
        }
        var sortValue: AttributeValue?
        if let sort, let sortKey = schema.sort {
            guard let value = try binding.value(sort), value.type == sortKey.type.attributeType else { return page }
            sortValue = value
        }
        let filter = try rest.map { e throws(ShoalError) in try binding.condition(e) }
        if let filter { try ExpressionChecks.check(filter, kind: .filter) }
        let key = try schema.key(partition: partitionValue, sort: sortValue)
        let found = try database.readEncodedItem(handle, key: key)
        page.capacity.table = CapacityUnits.read(bytes: found?.size ?? 0, consistent: consistent)
        if let (item, _) = found, filter.map({ ConditionEvaluator.evaluate($0, on: item) }) ?? true {
            page.items = [shape.shaped(LazyItem(item, projection: shape.readProjection))]
        }
        return page
    }
}

/// A SELECT's projection: what the read keeps, and how each result is shaped.
struct PartiQLProjection: Sendable {
    /// What the read copies out of each item.
    let readProjection: [DocumentPath]?
    /// Set when the projection names a path into a value: each result attribute is then named
    /// for the path's last step (`a.b` as `b`, `l[1]` as `l[1]`), as DynamoDB names them.
    let leafNames: [(path: DocumentPath, name: String)]?

    init(_ projection: [[PathElement]]?) {
        let paths = projection.map { $0.map(DocumentPath.init) }
        if let paths, paths.contains(where: { !$0.isTopLevel }) {
            leafNames = paths.map { ($0, PartiQLProjection.leafName($0)) }
            // The read keeps whole top-level attributes (a projected list would renumber its
            // elements); the paths are then resolved in them.
            var tops: [DocumentPath] = []
            for path in paths where !tops.contains(where: { Bytewise.equal($0.attribute, path.attribute) }) {
                tops.append(DocumentPath(attribute: path.attribute))
            }
            readProjection = tops
        } else {
            leafNames = nil
            readProjection = paths
        }
    }

    /// The name DynamoDB gives a projected path's value: from its last map key on.
    static func leafName(_ path: DocumentPath) -> String {
        let start = path.elements.lastIndex { if case .name = $0 { true } else { false } } ?? 0
        return DocumentPath(Array(path.elements[start...])).description
    }

    /// An item as the statement's projection shapes it.
    func shaped(_ item: LazyItem) -> LazyItem {
        guard let leafNames else { return item }
        var result: Item = [:]
        let whole = item.dictionary
        for (path, name) in leafNames {
            if let value = path.value(in: whole) { result[AttributeName(name)] = value }
        }
        return LazyItem(result)
    }
}
