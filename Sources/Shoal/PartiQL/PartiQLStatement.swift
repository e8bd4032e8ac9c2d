/// A parsed PartiQL statement, before its parameters are bound: what ExecuteStatement,
/// BatchExecuteStatement and ExecuteTransaction run. Values stay expressions (a `?` is a
/// ``PartiQLExpression/parameter(_:)``) so one parse serves any parameters.
enum PartiQLStatement: Sendable, Equatable {
    case select(PartiQLSelect)
    case insert(table: String, value: PartiQLExpression)
    case update(PartiQLUpdate)
    case delete(table: String, where: PartiQLExpression, returning: PartiQLReturning?)
    /// `EXISTS(SELECT …)`: a condition check, allowed only in ExecuteTransaction.
    case exists(PartiQLSelect)

    /// How many `?` placeholders the statement has.
    var parameterCount: Int {
        switch self {
        case .select(let s), .exists(let s): return s.parameterCount
        case let .insert(_, value): return value.parameterCount
        case .update(let u): return u.parameterCount
        case let .delete(_, condition, _): return condition.parameterCount
        }
    }

    var isRead: Bool { if case .select = self { true } else { false } }

    var tableName: String {
        switch self {
        case .select(let s), .exists(let s): return s.table
        case let .insert(table, _), let .delete(table, _, _): return table
        case .update(let u): return u.table
        }
    }
}

struct PartiQLSelect: Sendable, Equatable {
    /// The paths listed, or nil for `*`.
    var projection: [[PathElement]]?
    var table: String
    var index: String?
    var condition: PartiQLExpression?
    /// `ORDER BY` keys and whether each is descending.
    var orderBy: [(path: [PathElement], descending: Bool)]

    var parameterCount: Int { condition?.parameterCount ?? 0 }

    static func == (a: PartiQLSelect, b: PartiQLSelect) -> Bool {
        a.projection == b.projection && a.table == b.table && a.index == b.index && a.condition == b.condition
            && a.orderBy.map(\.path) == b.orderBy.map(\.path) && a.orderBy.map(\.descending) == b.orderBy.map(\.descending)
    }
}

struct PartiQLUpdate: Sendable, Equatable {
    enum Action: Sendable, Equatable {
        case set([PathElement], PartiQLExpression)
        case remove([PathElement])
    }

    var table: String
    var actions: [Action]
    var condition: PartiQLExpression
    var returning: PartiQLReturning?

    var parameterCount: Int {
        actions.reduce(condition.parameterCount) { count, action in
            if case let .set(_, value) = action { return count + value.parameterCount }
            return count
        }
    }
}

/// `RETURNING ALL OLD *` and its siblings: what a write statement returns.
enum PartiQLReturning: Sendable, Equatable {
    case allOld, modifiedOld, allNew, modifiedNew

    var returnValue: ReturnValue {
        switch self {
        case .allOld: .allOld
        case .modifiedOld: .updatedOld
        case .allNew: .allNew
        case .modifiedNew: .updatedNew
        }
    }
}

/// A value or condition in a statement.
indirect enum PartiQLExpression: Sendable, Equatable {
    case path([PathElement])
    case literal(AttributeValue)
    /// The n-th `?` of the statement (from 0).
    case parameter(Int)
    case list([PartiQLExpression])
    /// `{'k': v, …}`: keys are string literals.
    case map([String], [PartiQLExpression])
    /// `<<v, …>>`: a string, number or binary set.
    case set([PartiQLExpression])
    case comparison(PartiQLExpression, ComparisonOperator, PartiQLExpression)
    case between(PartiQLExpression, PartiQLExpression, PartiQLExpression)
    case isIn(PartiQLExpression, [PartiQLExpression])
    case and(PartiQLExpression, PartiQLExpression)
    case or(PartiQLExpression, PartiQLExpression)
    case not(PartiQLExpression)
    /// `x IS [NOT] MISSING`.
    case isMissing(PartiQLExpression, negated: Bool)
    /// `x IS [NOT] NULL`.
    case isNull(PartiQLExpression, negated: Bool)
    /// A function call; the name in lower case.
    case call(String, [PartiQLExpression])
    case plus(PartiQLExpression, PartiQLExpression)
    case minus(PartiQLExpression, PartiQLExpression)

    var parameterCount: Int {
        switch self {
        case .parameter: return 1
        case .path, .literal: return 0
        case .list(let items), .set(let items), .map(_, let items), .call(_, let items):
            return items.reduce(0) { $0 + $1.parameterCount }
        case let .comparison(a, _, b), let .and(a, b), let .or(a, b), let .plus(a, b), let .minus(a, b):
            return a.parameterCount + b.parameterCount
        case let .between(a, b, c): return a.parameterCount + b.parameterCount + c.parameterCount
        case let .isIn(a, items): return items.reduce(a.parameterCount) { $0 + $1.parameterCount }
        case .not(let a), .isMissing(let a, _), .isNull(let a, _): return a.parameterCount
        }
    }
}
