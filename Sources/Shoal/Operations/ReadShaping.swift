import LMDB

/// What Query and Scan do with each evaluated item: filter, project, count. A filter reads only
/// the attributes it names (and the key) from the stored bytes, into an array rather than a
/// dictionary, and an item it rejects is never decoded further; a returned item is a view over
/// its bytes (``LazyItem``), projected by copying the selected attributes' encodings.
struct ReadShaping {
    let filter: Condition?
    let projection: [DocumentPath]?
    let countOnly: Bool
    private let filterSelection: ItemCodec.AttributeSelection?
    private let keySelection: ItemCodec.AttributeSelection

    init(filter: Condition?, projection: [DocumentPath]?, countOnly: Bool, schema: PrimaryKey) {
        self.filter = filter
        self.projection = projection
        self.countOnly = countOnly
        let keyNames = Set(schema.names.map { AttributeName($0) })
        keySelection = ItemCodec.AttributeSelection(keyNames)
        filterSelection = filter.map { ItemCodec.AttributeSelection(ReadShaping.attributes(of: $0).union(keyNames)) }
    }

    /// The entry for one stored value, read where LMDB's page holds it (valid until the cursor
    /// moves): its key, size, and what the response gets. The value is copied out of the page
    /// only for an item the response returns; one the filter rejects, or a count, reads in place.
    func entry(_ stored: BorrowedBytes, schema: PrimaryKey, run: [UInt8]?) throws(ShoalError) -> StoredEntry {
        var reader = SourceReader(stored)
        let size = try reader.varint()
        let start = reader.offset
        if let filter, let filterSelection {
            let selected = try SelectedAttributes(stored, from: start, selection: filterSelection)
            let key = try selected.key(schema)
            guard ConditionEvaluator.evaluate(filter, on: selected) else {
                return StoredEntry(key: key, size: size, result: nil, run: run)
            }
            if countOnly { return StoredEntry(key: key, size: size, result: [:], run: run) }
            return StoredEntry(key: key, size: size, result: LazyItem(try EncodedItem.checked(stored.array, from: start), projection: projection),
                               run: run)
        }
        if countOnly {
            let key = try SelectedAttributes(stored, from: start, selection: keySelection).key(schema)
            return StoredEntry(key: key, size: size, result: [:], run: run)
        }
        // The item: a view over its bytes (one copy out of the page), decoded by whoever reads it.
        let (item, key) = try EncodedItem.checked(stored.array, from: start, key: schema)
        return StoredEntry(key: key, size: size, result: LazyItem(item, projection: projection), run: run)
    }

    /// The top-level attributes a condition reads (for the Query filter's key-attribute rule).
    static func attributes(of condition: Condition) -> Set<AttributeName> {
        func names(_ operand: Operand) -> Set<AttributeName> {
            switch operand {
            case .path(let p): return [AttributeName(p.attribute)]
            case .size(let o): return names(o)
            case .value: return []
            case let .ifNotExists(p, o): return names(o).union([AttributeName(p.attribute)])
            case let .listAppend(a, b), let .plus(a, b), let .minus(a, b), let .setAdd(a, b), let .setDelete(a, b):
                return names(a).union(names(b))
            }
        }
        switch condition {
        case let .comparison(a, _, b), let .beginsWith(a, b), let .contains(a, b): return names(a).union(names(b))
        case let .between(a, b, c): return names(a).union(names(b)).union(names(c))
        case let .isIn(a, list): return list.reduce(names(a)) { $0.union(names($1)) }
        case let .and(a, b), let .or(a, b): return attributes(of: a).union(attributes(of: b))
        case .not(let a): return attributes(of: a)
        case .attributeExists(let p), .attributeNotExists(let p): return [AttributeName(p.attribute)]
        case let .attributeType(a, o): return names(o).union(names(a))
        }
    }

    /// The filter of a Query or Scan, from `FilterExpression`, the typed value, or the legacy filter.
    static func filter(expression: String?, typed: Condition?, legacy: [AttributeName: LegacyCondition]?,
                       conditionalOperator: ConditionalOperator?, input: inout ExpressionInput) throws(ShoalError) -> Condition? {
        try LegacyParameters.checkNotMixed(legacy: [("Filter", legacy != nil), ("ConditionalOperator", conditionalOperator != nil)],
                                           expressions: [("FilterExpression", expression != nil || typed != nil)])
        if conditionalOperator != nil && legacy?.isEmpty ?? true {
            throw .validation("ConditionalOperator cannot be used without Filter or Expected")
        }
        if let legacy { return try LegacyParameters.condition(legacy, conditionalOperator: conditionalOperator) }
        let parsed = try input.condition(expression, kind: .filter)
        if let typed { try ExpressionChecks.check(typed, kind: .filter) }
        switch (parsed, typed) {
        case let (a?, b?): return .and(a, b)
        default: return parsed ?? typed
        }
    }
}

/// The filter, projection and Select parameters that Query and Scan share.
struct ReadParameters {
    var filterExpression: String?
    var filter: Condition?
    var legacyFilter: [AttributeName: LegacyCondition]?
    /// `QueryFilter` or `ScanFilter`, for messages.
    var legacyFilterName: String
    var conditionalOperator: ConditionalOperator?
    var projectionExpression: String?
    var projection: [DocumentPath]?
    var attributesToGet: [String]?
    var select: Select?

    var usesExpressions: Bool { filterExpression != nil || projectionExpression != nil }
    var usesLegacy: Bool { legacyFilter != nil || attributesToGet != nil }

    /// Resolves everything through the request's placeholders.
    /// - Parameter keysInFilter: whether the filter may read key attributes (Scan) or not (Query).
    /// - Parameter filterKeyNames: the key attributes a Query filter may not read (default: the table's).
    /// - Parameter indexName: the index read, for the Select rules.
    func shaping(schema: PrimaryKey, input: inout ExpressionInput, keysInFilter: Bool,
                 filterKeyNames: [String]? = nil, indexName: String? = nil) throws(ShoalError) -> ReadShaping {
        let filter = try ReadShaping.filter(expression: filterExpression, typed: self.filter, legacy: legacyFilter,
                                            conditionalOperator: conditionalOperator, input: &input)
        if !keysInFilter, let filter,
           let keyName = (filterKeyNames ?? schema.names).first(where: { ReadShaping.attributes(of: filter).contains(AttributeName($0)) }) {
            let parameter = legacyFilter != nil ? legacyFilterName : "Filter Expression"
            throw .validation("\(parameter) can only contain non-primary key attributes: Primary key attribute: \(keyName)")
        }
        let projection = try ProjectionParameters(expression: projectionExpression, typed: self.projection,
                                                  attributesToGet: attributesToGet).resolve(&input)
        let countOnly = try SelectRule.countOnly(select, projection: projection, usedAttributesToGet: attributesToGet != nil,
                                                 indexName: indexName)
        return ReadShaping(filter: filter, projection: projection, countOnly: countOnly, schema: schema)
    }
}
