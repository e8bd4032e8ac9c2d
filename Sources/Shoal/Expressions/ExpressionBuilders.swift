// Typed builders for conditions and updates, so Swift code need not write expression strings.
// They produce the same AST the parser does.
//
//     let condition = DocumentPath("status") == "active" && DocumentPath("age") >= 21
//     let update = UpdateExpression.set("name", to: "Ada").adding("visits", 1).removing("temp")

extension DocumentPath {
    /// A path parsed like a string literal (`"a.b[2]"`).
    public init(_ text: String) { self.init(stringLiteral: text) }

    public static func == (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .equal, .value(rhs)) }
    public static func != (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .notEqual, .value(rhs)) }
    public static func < (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .less, .value(rhs)) }
    public static func <= (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .lessOrEqual, .value(rhs)) }
    public static func > (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .greater, .value(rhs)) }
    public static func >= (lhs: DocumentPath, rhs: AttributeValue) -> Condition { .comparison(.path(lhs), .greaterOrEqual, .value(rhs)) }

    public var exists: Condition { .attributeExists(self) }
    public var notExists: Condition { .attributeNotExists(self) }
    /// `size(path)` as an operand: `DocumentPath("tags").size > 3`.
    public var size: Operand { .size(.path(self)) }

    public func between(_ low: AttributeValue, _ high: AttributeValue) -> Condition { .between(.path(self), .value(low), .value(high)) }
    public func isIn(_ values: [AttributeValue]) -> Condition { .isIn(.path(self), values.map { .value($0) }) }
    public func beginsWith(_ prefix: AttributeValue) -> Condition { .beginsWith(.path(self), .value(prefix)) }
    public func contains(_ value: AttributeValue) -> Condition { .contains(.path(self), .value(value)) }
    public func hasType(_ type: AttributeType) -> Condition { .attributeType(.path(self), .value(.s(type.rawValue))) }
}

extension Operand {
    public static func == (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .equal, .value(rhs)) }
    public static func != (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .notEqual, .value(rhs)) }
    public static func < (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .less, .value(rhs)) }
    public static func <= (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .lessOrEqual, .value(rhs)) }
    public static func > (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .greater, .value(rhs)) }
    public static func >= (lhs: Operand, rhs: AttributeValue) -> Condition { .comparison(lhs, .greaterOrEqual, .value(rhs)) }

    /// `a + b` and `a - b` for SET.
    public static func + (lhs: Operand, rhs: Operand) -> Operand { .plus(lhs, rhs) }
    public static func - (lhs: Operand, rhs: Operand) -> Operand { .minus(lhs, rhs) }
}

extension Condition {
    public static func && (lhs: Condition, rhs: Condition) -> Condition { .and(lhs, rhs) }
    public static func || (lhs: Condition, rhs: Condition) -> Condition { .or(lhs, rhs) }
    public static prefix func ! (operand: Condition) -> Condition { .not(operand) }
}

extension UpdateExpression {
    public static func set(_ path: DocumentPath, to value: AttributeValue) -> UpdateExpression {
        UpdateExpression(set: [Action(path: path, value: .value(value))])
    }

    public static func set(_ path: DocumentPath, to operand: Operand) -> UpdateExpression {
        UpdateExpression(set: [Action(path: path, value: operand)])
    }

    public static func remove(_ paths: DocumentPath...) -> UpdateExpression { UpdateExpression(remove: paths) }

    /// `ADD path value`: adds to a number (starting from 0) or unions into a set.
    public static func add(_ path: DocumentPath, _ value: AttributeValue) -> UpdateExpression {
        UpdateExpression(add: [Action(path: path, value: .value(value))])
    }

    /// `DELETE path set`: removes members from a set.
    public static func delete(_ path: DocumentPath, _ value: AttributeValue) -> UpdateExpression {
        UpdateExpression(delete: [Action(path: path, value: .value(value))])
    }

    /// Both updates' actions.
    public func and(_ other: UpdateExpression) -> UpdateExpression {
        UpdateExpression(set: self.set + other.set, remove: remove + other.remove, add: add + other.add, delete: delete + other.delete)
    }

    public func setting(_ path: DocumentPath, to value: AttributeValue) -> UpdateExpression { and(.set(path, to: value)) }
    public func setting(_ path: DocumentPath, to operand: Operand) -> UpdateExpression { and(.set(path, to: operand)) }
    public func removing(_ paths: DocumentPath...) -> UpdateExpression { and(UpdateExpression(remove: paths)) }
    public func adding(_ path: DocumentPath, _ value: AttributeValue) -> UpdateExpression { and(.add(path, value)) }
    public func deleting(_ path: DocumentPath, _ value: AttributeValue) -> UpdateExpression { and(.delete(path, value)) }
}
