/// One step of a document path: a map key (or top-level attribute) or a list index.
/// Names compare by their UTF-8 bytes, as attribute names do (see ``AttributeName``).
public enum PathElement: Sendable, Hashable {
    case name(String)
    case index(Int)

    public static func == (lhs: PathElement, rhs: PathElement) -> Bool {
        switch (lhs, rhs) {
        case let (.name(a), .name(b)): return Bytewise.equal(a, b)
        case let (.index(a), .index(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .name(let n):
            hasher.combine(0)
            Bytewise.hash(n, into: &hasher)
        case .index(let i):
            hasher.combine(1)
            hasher.combine(i)
        }
    }
}

/// A document path such as `a.b[2].c`: a top-level attribute name, then map keys and list indexes.
///
/// In Swift a path can be written as a string literal, which splits on `.` and `[n]`:
/// `"address.lines[0]"`. Names that contain those characters are built with ``init(_:)``.
public struct DocumentPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var elements: [PathElement]

    public init(_ elements: [PathElement]) {
        precondition(!elements.isEmpty, "a document path has at least one element")
        self.elements = elements
    }

    /// A top-level attribute.
    public init(attribute name: String) { elements = [.name(name)] }

    public init(stringLiteral value: String) {
        var elements: [PathElement] = []
        for part in value.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                elements.append(.name(String(rest[..<bracket])))
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]) {
                    elements.append(.index(index))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                elements.append(.name(String(rest)))
            }
        }
        self.elements = elements
    }

    /// The top-level attribute the path starts from.
    public var attribute: String {
        if case .name(let n) = elements[0] { return n }
        return ""
    }

    public var isTopLevel: Bool { elements.count == 1 }

    /// DynamoDB's way of showing a path in error messages: `[a, b, [2]]`.
    var bracketed: String {
        "[" + elements.map { element -> String in
            switch element {
            case .name(let n): return n
            case .index(let i): return "[\(i)]"
            }
        }.joined(separator: ", ") + "]"
    }

    public var description: String {
        var text = ""
        for element in elements {
            switch element {
            case .name(let n): text += text.isEmpty ? n : "." + n
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }
}

/// A value in an expression: a document path, a literal (`:value`), or a function result.
public indirect enum Operand: Sendable, Hashable {
    case path(DocumentPath)
    case value(AttributeValue)
    /// `size(path)` or `size(:value)`: conditions only.
    case size(Operand)
    /// `if_not_exists(path, operand)`: update expressions only.
    case ifNotExists(DocumentPath, Operand)
    /// `list_append(a, b)`: update expressions only.
    case listAppend(Operand, Operand)
    /// `a + b` and `a - b`: the right-hand side of SET only.
    case plus(Operand, Operand)
    case minus(Operand, Operand)
    /// PartiQL's `set_add(set, set)` and `set_delete(set, set)`: the union and the difference
    /// of two sets of one type (SET values only; a set left empty removes the attribute).
    case setAdd(Operand, Operand)
    case setDelete(Operand, Operand)
}

public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    /// The operator seen from the other side (`a < b` is `b > a`).
    var flipped: ComparisonOperator {
        switch self {
        case .equal, .notEqual: return self
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        }
    }
}

/// A condition: what ConditionExpression, FilterExpression and KeyConditionExpression parse into,
/// and what the legacy `Expected`, `QueryFilter`, `ScanFilter` and `KeyConditions` map onto.
public indirect enum Condition: Sendable, Hashable {
    case comparison(Operand, ComparisonOperator, Operand)
    case between(Operand, Operand, Operand)
    case isIn(Operand, [Operand])
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case attributeExists(DocumentPath)
    case attributeNotExists(DocumentPath)
    /// `attribute_type(path or :value, :type)`.
    case attributeType(Operand, Operand)
    case beginsWith(Operand, Operand)
    case contains(Operand, Operand)
}

/// A parsed UpdateExpression: its four clauses, each action in the order written.
public struct UpdateExpression: Sendable, Hashable {
    /// One action: a path and the value (SET), or the operand (ADD, DELETE), it takes.
    public struct Action: Sendable, Hashable {
        public var path: DocumentPath
        public var value: Operand
        public init(path: DocumentPath, value: Operand) {
            self.path = path
            self.value = value
        }
    }

    public var set: [Action] = []
    public var remove: [DocumentPath] = []
    public var add: [Action] = []
    public var delete: [Action] = []

    public init(set: [Action] = [], remove: [DocumentPath] = [], add: [Action] = [], delete: [Action] = []) {
        self.set = set
        self.remove = remove
        self.add = add
        self.delete = delete
    }

    /// Every path the update writes, in clause order.
    var paths: [DocumentPath] { self.set.map(\.path) + remove + add.map(\.path) + delete.map(\.path) }

    public var isEmpty: Bool { self.set.isEmpty && remove.isEmpty && add.isEmpty && delete.isEmpty }
}

/// Which kind of expression is being parsed or checked; it names the expression in errors.
public enum ExpressionKind: String, Sendable {
    case condition = "ConditionExpression"
    case filter = "FilterExpression"
    case keyCondition = "KeyConditionExpression"
    case update = "UpdateExpression"
    case projection = "ProjectionExpression"
}
