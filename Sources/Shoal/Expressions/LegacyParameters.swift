/// The comparison operators of DynamoDB's legacy conditions (`Expected`, `QueryFilter`,
/// `ScanFilter`, `KeyConditions`).
public enum LegacyComparisonOperator: String, Sendable, CaseIterable {
    case eq = "EQ", ne = "NE", le = "LE", lt = "LT", ge = "GE", gt = "GT"
    case notNull = "NOT_NULL", null = "NULL", contains = "CONTAINS", notContains = "NOT_CONTAINS"
    case beginsWith = "BEGINS_WITH", isIn = "IN", between = "BETWEEN"
}

/// DynamoDB's legacy `Condition`: an operator and its argument list.
public struct LegacyCondition: Sendable, Equatable {
    public var comparisonOperator: LegacyComparisonOperator
    public var attributeValueList: [AttributeValue]

    public init(_ comparisonOperator: LegacyComparisonOperator, _ attributeValueList: [AttributeValue] = []) {
        self.comparisonOperator = comparisonOperator
        self.attributeValueList = attributeValueList
    }
}

/// One entry of the legacy `Expected` map.
public struct ExpectedAttributeValue: Sendable, Hashable {
    public var value: AttributeValue?
    public var exists: Bool?
    public var comparisonOperator: LegacyComparisonOperator?
    public var attributeValueList: [AttributeValue]?

    public init(value: AttributeValue? = nil, exists: Bool? = nil, comparisonOperator: LegacyComparisonOperator? = nil,
                attributeValueList: [AttributeValue]? = nil) {
        self.value = value
        self.exists = exists
        self.comparisonOperator = comparisonOperator
        self.attributeValueList = attributeValueList
    }
}

public enum ConditionalOperator: String, Sendable, CaseIterable {
    case and = "AND"
    case or = "OR"
}

/// `PUT`, `ADD` or `DELETE` of the legacy `AttributeUpdates`.
public enum AttributeAction: String, Sendable, CaseIterable {
    case put = "PUT"
    case add = "ADD"
    case delete = "DELETE"
}

public struct AttributeValueUpdate: Sendable, Hashable {
    public var value: AttributeValue?
    public var action: AttributeAction?

    public init(value: AttributeValue? = nil, action: AttributeAction? = nil) {
        self.value = value
        self.action = action
    }
}

/// Maps the legacy parameters onto the same AST as the expressions.
enum LegacyParameters {
    /// DynamoDB's error for a request that mixes the two styles; each list holds the parameters
    /// of its style that the request carries, in the order given.
    static func checkNotMixed(legacy: [(String, Bool)], expressions: [(String, Bool)]) throws(ShoalError) {
        let old = legacy.filter(\.1).map(\.0)
        let new = expressions.filter(\.1).map(\.0)
        guard !old.isEmpty, !new.isEmpty else { return }
        throw .validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {\(old.joined(separator: ", "))} Expression parameters: {\(new.joined(separator: ", "))}")
    }

    /// `QueryFilter` / `ScanFilter` / `KeyConditions` entries joined by `ConditionalOperator`.
    static func condition(_ filter: [AttributeName: LegacyCondition], conditionalOperator: ConditionalOperator?) throws(ShoalError) -> Condition? {
        var parts: [Condition] = []
        for name in filter.keys.sorted().map(\.string) {
            try ItemValidation.checkName(name)
            parts.append(try condition(name: name, filter[name]!))
        }
        return join(parts, conditionalOperator)
    }

    /// `Expected` joined by `ConditionalOperator`.
    static func condition(_ expected: [AttributeName: ExpectedAttributeValue], conditionalOperator: ConditionalOperator?) throws(ShoalError) -> Condition? {
        var parts: [Condition] = []
        for name in expected.keys.sorted().map(\.string) {
            try ItemValidation.checkName(name)
            let entry = expected[name]!
            let path = Operand.path(DocumentPath(attribute: name))
            if let op = entry.comparisonOperator {
                if entry.value != nil {
                    throw .invalidParameter("Value and ComparisonOperator cannot be used together for Attribute: \(name)")
                }
                if entry.exists != nil {
                    throw .invalidParameter("Exists and ComparisonOperator cannot be used together for Attribute: \(name)")
                }
                parts.append(try condition(name: name, LegacyCondition(op, entry.attributeValueList ?? [])))
            } else if entry.attributeValueList != nil {
                throw .invalidParameter("AttributeValueList can only be used with a ComparisonOperator for Attribute: \(name)")
            } else if entry.exists == false {
                if entry.value != nil {
                    throw .invalidParameter("Value cannot be used when Exists is false for Attribute: \(name)")
                }
                parts.append(.attributeNotExists(DocumentPath(attribute: name)))
            } else {
                guard let value = entry.value else {
                    throw .invalidParameter("Value must be provided when Exists is \(entry.exists == true ? "true" : "null") for Attribute: \(name)")
                }
                try validate(value)
                parts.append(.comparison(path, .equal, .value(value)))
            }
        }
        return join(parts, conditionalOperator)
    }

    /// Joins the conditions into a balanced tree: a legacy map has no small size limit, and a
    /// left-deep chain of thousands of conditions would be walked recursively that deep.
    static func join(_ parts: [Condition], _ op: ConditionalOperator?) -> Condition? {
        guard !parts.isEmpty else { return nil }
        var level = parts
        while level.count > 1 {
            var next: [Condition] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(op == .or ? .or(level[i], level[i + 1]) : .and(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    private static func validate(_ value: AttributeValue) throws(ShoalError) {
        try ItemValidation.validate(value)
    }

    /// DynamoDB's message for a legacy operator given the wrong number of values.
    static func argumentCountError(_ op: LegacyComparisonOperator) -> ShoalError {
        .invalidParameter("Invalid number of argument(s) for the \(op.rawValue) ComparisonOperator")
    }

    private static func condition(name: String, _ c: LegacyCondition) throws(ShoalError) -> Condition {
        let path = DocumentPath(attribute: name)
        let attribute = Operand.path(path)
        let args = c.attributeValueList
        for value in args { try validate(value) }
        func count(_ n: Int) throws(ShoalError) {
            guard args.count == n else { throw argumentCountError(c.comparisonOperator) }
        }
        func scalar(_ allowed: [AttributeType]) throws(ShoalError) {
            for value in args where !allowed.contains(value.type) {
                throw .invalidParameter("ComparisonOperator \(c.comparisonOperator.rawValue) is not valid for \(value.type.rawValue) AttributeValue type")
            }
        }
        switch c.comparisonOperator {
        case .eq:
            try count(1)
            return .comparison(attribute, .equal, .value(args[0]))
        case .ne:
            try count(1)
            return .comparison(attribute, .notEqual, .value(args[0]))
        case .lt, .le, .gt, .ge:
            try count(1)
            try scalar([.s, .n, .b])
            let op: ComparisonOperator = [.lt: .less, .le: .lessOrEqual, .gt: .greater, .ge: .greaterOrEqual][c.comparisonOperator]!
            return .comparison(attribute, op, .value(args[0]))
        case .notNull:
            try count(0)
            return .attributeExists(path)
        case .null:
            try count(0)
            return .attributeNotExists(path)
        case .contains, .notContains:
            try count(1)
            try scalar([.s, .n, .b])
            let test = Condition.contains(attribute, .value(args[0]))
            // NOT_CONTAINS is true only for an attribute that exists and lacks the value.
            return c.comparisonOperator == .contains ? test : .and(.attributeExists(path), .not(test))
        case .beginsWith:
            try count(1)
            try scalar([.s, .b])
            return .beginsWith(attribute, .value(args[0]))
        case .isIn:
            guard !args.isEmpty else { throw argumentCountError(c.comparisonOperator) }
            try scalar([.s, .n, .b])
            guard args.allSatisfy({ $0.type == args[0].type }) else {
                throw .invalidParameter("AttributeValues inside AttributeValueList must be of same type")
            }
            return .isIn(attribute, args.map { .value($0) })
        case .between:
            try count(2)
            try scalar([.s, .n, .b])
            guard args[0].type == args[1].type else {
                throw .invalidParameter("AttributeValues inside AttributeValueList must be of same type")
            }
            guard KeyEncoding.compare(args[0], args[1]) <= 0 else {
                throw .validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
            }
            return .between(attribute, .value(args[0]), .value(args[1]))
        }
    }

    /// `AttributeUpdates` as an update expression. ADD of a list to a list appends, as the legacy API does.
    static func update(_ updates: [AttributeName: AttributeValueUpdate]) throws(ShoalError) -> UpdateExpression {
        var update = UpdateExpression()
        for name in updates.keys.sorted().map(\.string) {
            try ItemValidation.checkName(name)
            let entry = updates[name]!
            let path = DocumentPath(attribute: name)
            if let value = entry.value { try validate(value) }
            switch entry.action ?? .put {
            case .put:
                guard let value = entry.value else {
                    throw .invalidParameter("Only DELETE action is allowed when no attribute value is specified")
                }
                update.set.append(.init(path: path, value: .value(value)))
            case .delete:
                guard let value = entry.value else {
                    update.remove.append(path)
                    continue
                }
                guard [.ss, .ns, .bs].contains(value.type) else {
                    throw .invalidParameter("DELETE action with value is not supported for the type \(value.type.rawValue)")
                }
                update.delete.append(.init(path: path, value: .value(value)))
            case .add:
                guard let value = entry.value else {
                    throw .invalidParameter("Only DELETE action is allowed when no attribute value is specified")
                }
                switch value.type {
                case .n, .ss, .ns, .bs:
                    update.add.append(.init(path: path, value: .value(value)))
                case .l:
                    update.set.append(.init(path: path, value: .listAppend(.ifNotExists(path, .value(.l([]))), .value(value))))
                default:
                    throw .invalidParameter("ADD action is not supported for the type \(value.type.rawValue)")
                }
            }
        }
        return update
    }

    /// `AttributesToGet` as projection paths (top-level names only).
    static func projection(_ attributesToGet: [String]) throws(ShoalError) -> [DocumentPath] {
        guard !attributesToGet.isEmpty else {
            throw .validation("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        var seen = Set<AttributeName>()
        for name in attributesToGet { try ItemValidation.checkName(name) }
        for name in attributesToGet where !seen.insert(AttributeName(name)).inserted {
            throw .validation("One or more parameter values were invalid: Duplicate value in attribute name: \(name)")
        }
        return attributesToGet.map { DocumentPath(attribute: $0) }
    }
}
