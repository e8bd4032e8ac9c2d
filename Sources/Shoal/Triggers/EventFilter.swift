import Foundation

/// A JSON value as event filtering sees it: a stream record rendered the way Lambda's event
/// carries it, or a piece of a filter pattern.
indirect enum FilterValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([FilterValue])
    case object([String: FilterValue])

    static let maxDepth = 32

    /// From `JSONSerialization`'s output; nil past `maxDepth` levels or on a value JSON has not.
    init?(json: Any, depth: Int = 0) {
        guard depth <= FilterValue.maxDepth else { return nil }
        switch json {
        case let value as String: self = .string(value)
        case let value as NSNumber:
            // JSONSerialization gives booleans as NSNumber too, with the type code of a C char
            // (its integers are "i" or "q"), on Linux and Apple platforms alike.
            if String(cString: value.objCType) == "c" { self = .bool(value.boolValue) } else { self = .number(value.doubleValue) }
        case is NSNull: self = .null
        case let list as [Any]:
            var values: [FilterValue] = []
            for element in list {
                guard let value = FilterValue(json: element, depth: depth + 1) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case let members as [String: Any]:
            var values: [String: FilterValue] = [:]
            for (key, element) in members {
                guard let value = FilterValue(json: element, depth: depth + 1) else { return nil }
                values[key] = value
            }
            self = .object(values)
        default: return nil
        }
    }
}

/// One leaf test of an event pattern (EventBridge's content filters, as Lambda uses them).
enum FilterMatcher: Sendable, Equatable {
    case equals(FilterValue)
    case prefix(String)
    case suffix(String)
    case equalsIgnoreCase(String)
    case anythingBut([FilterValue])
    case anythingButPrefix(String)
    case numeric([(op: String, value: Double)])
    case exists(Bool)

    static func == (a: FilterMatcher, b: FilterMatcher) -> Bool {
        switch (a, b) {
        case let (.equals(x), .equals(y)): return x == y
        case let (.prefix(x), .prefix(y)), let (.suffix(x), .suffix(y)), let (.equalsIgnoreCase(x), .equalsIgnoreCase(y)),
             let (.anythingButPrefix(x), .anythingButPrefix(y)): return x == y
        case let (.anythingBut(x), .anythingBut(y)): return x == y
        case let (.numeric(x), .numeric(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.op == $1.op && $0.value == $1.value }
        case let (.exists(x), .exists(y)): return x == y
        default: return false
        }
    }
}

/// A parsed event pattern: nested fields ANDed, each leaf a list of matchers ORed.
indirect enum EventPattern: Sendable, Equatable {
    case fields([String: EventPattern])
    case leaf([FilterMatcher])

    static let maxLength = 4096
    static let invalid = ShoalError(.invalidParameterValue, "Invalid filter pattern definition.")

    /// Parses one `Filters[].Pattern`.
    /// - Throws: `InvalidParameterValueException` when it is not a JSON object of fields whose
    ///   leaves are lists of values or matchers.
    init(parsing text: String) throws(ShoalError) {
        guard text.utf8.count <= EventPattern.maxLength else {
            throw ShoalError(.validation, "1 validation error detected: Value at 'filterCriteria.filters.1.member.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let value = FilterValue(json: json),
              case .object(let members) = value, !members.isEmpty else {
            throw EventPattern.invalid
        }
        self = try EventPattern.fields(members)
    }

    private static func fields(_ members: [String: FilterValue]) throws(ShoalError) -> EventPattern {
        var fields: [String: EventPattern] = [:]
        for (name, value) in members {
            switch value {
            case .object(let nested):
                guard !nested.isEmpty else { throw invalid }
                fields[name] = try EventPattern.fields(nested)
            case .array(let list):
                guard !list.isEmpty else { throw invalid }
                var matchers: [FilterMatcher] = []
                for element in list { matchers.append(try matcher(element)) }
                fields[name] = .leaf(matchers)
            default:
                throw invalid
            }
        }
        return .fields(fields)
    }

    private static func matcher(_ value: FilterValue) throws(ShoalError) -> FilterMatcher {
        switch value {
        case .string, .number, .bool, .null: return .equals(value)
        case .array: throw invalid
        case .object(let members):
            guard members.count == 1, let (name, operand) = members.first else { throw invalid }
            switch (name, operand) {
            case ("prefix", .string(let text)): return .prefix(text)
            case ("suffix", .string(let text)): return .suffix(text)
            case ("equals-ignore-case", .string(let text)): return .equalsIgnoreCase(text)
            case ("exists", .bool(let flag)): return .exists(flag)
            case ("anything-but", .string), ("anything-but", .number): return .anythingBut([operand])
            case ("anything-but", .array(let values)):
                guard !values.isEmpty, values.allSatisfy({ if case .string = $0 { return true }; if case .number = $0 { return true }; return false }) else {
                    throw invalid
                }
                return .anythingBut(values)
            case ("anything-but", .object(let inner)):
                guard inner.count == 1, case .string(let text)? = inner["prefix"] else { throw invalid }
                return .anythingButPrefix(text)
            case ("numeric", .array(let terms)):
                return .numeric(try numericTerms(terms))
            default:
                throw invalid
            }
        }
    }

    /// `["=", 5]`, `[">", 0]`, or a range `[">", 0, "<=", 10]`.
    private static func numericTerms(_ terms: [FilterValue]) throws(ShoalError) -> [(op: String, value: Double)] {
        guard terms.count == 2 || terms.count == 4 else { throw invalid }
        var result: [(op: String, value: Double)] = []
        var index = 0
        while index < terms.count {
            guard case .string(let op) = terms[index], ["=", "<", "<=", ">", ">="].contains(op),
                  case .number(let value) = terms[index + 1] else { throw invalid }
            result.append((op, value))
            index += 2
        }
        if result.count == 2 {
            // A range: one lower bound and one upper bound.
            let lower = result.filter { $0.op == ">" || $0.op == ">=" }
            let upper = result.filter { $0.op == "<" || $0.op == "<=" }
            guard lower.count == 1, upper.count == 1, lower[0].value <= upper[0].value else { throw invalid }
        }
        return result
    }

    /// Whether `value` (an object) matches: every field of the pattern present and matching.
    func matches(_ value: FilterValue?) -> Bool {
        switch self {
        case .fields(let fields):
            // A list of objects matches when one of its elements does.
            if case .array(let elements)? = value { return elements.contains { matches($0) } }
            guard case .object(let members)? = value else {
                // Only `exists: false` leaves can match something absent.
                return fields.values.allSatisfy { $0.matchesAbsent }
            }
            return fields.allSatisfy { name, pattern in pattern.matches(members[name]) }
        case .leaf(let matchers):
            return matchers.contains { EventPattern.test($0, value) }
        }
    }

    private var matchesAbsent: Bool {
        switch self {
        case .fields(let fields): return fields.values.allSatisfy { $0.matchesAbsent }
        case .leaf(let matchers): return matchers.contains { $0 == .exists(false) }
        }
    }

    private static func test(_ matcher: FilterMatcher, _ value: FilterValue?) -> Bool {
        if case .exists(let wanted) = matcher { return (value != nil) == wanted }
        guard let value else { return false }
        // A list matches when one of its elements does.
        if case .array(let elements) = value { return elements.contains { test(matcher, $0) } }
        switch matcher {
        case .equals(let expected):
            if case .number(let n) = expected, let actual = number(value) { return actual == n }
            return value == expected
        case .prefix(let prefix):
            guard case .string(let text) = value else { return false }
            return text.hasPrefix(prefix)
        case .suffix(let suffix):
            guard case .string(let text) = value else { return false }
            return text.hasSuffix(suffix)
        case .equalsIgnoreCase(let expected):
            guard case .string(let text) = value else { return false }
            return text.lowercased() == expected.lowercased()
        case .anythingBut(let excluded):
            return !excluded.contains { excludedValue in
                if case .number(let n) = excludedValue, let actual = number(value) { return actual == n }
                return excludedValue == value
            }
        case .anythingButPrefix(let prefix):
            guard case .string(let text) = value else { return false }
            return !text.hasPrefix(prefix)
        case .numeric(let terms):
            guard let actual = number(value) else { return false }
            return terms.allSatisfy { term in
                switch term.op {
                case "=": return actual == term.value
                case "<": return actual < term.value
                case "<=": return actual <= term.value
                case ">": return actual > term.value
                default: return actual >= term.value
                }
            }
        case .exists: return false
        }
    }

    /// A JSON number, or a string holding one (DynamoDB's `N` values travel as strings).
    private static func number(_ value: FilterValue) -> Double? {
        switch value {
        case .number(let n): return n
        case .string(let text):
            guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 69 || $0 == 101 }) else { return nil }
            return Double(text)
        default: return nil
        }
    }
}

/// A mapping's filters: a record is delivered when it matches one of them (or there are none).
struct EventFilter: Sendable {
    let patterns: [EventPattern]
    static let maxFilters = 5

    init(_ criteria: FilterCriteria?) throws(ShoalError) {
        let texts = criteria?.patterns ?? []
        guard texts.count <= EventFilter.maxFilters else {
            throw ShoalError(.invalidParameterValue, "The maximum number of filters per event source mapping is \(EventFilter.maxFilters). Reduce the number of filters and try again.")
        }
        var patterns: [EventPattern] = []
        for text in texts { patterns.append(try EventPattern(parsing: text)) }
        self.patterns = patterns
    }

    var isEmpty: Bool { patterns.isEmpty }

    func matches(_ record: StreamRecord, eventSourceArn: String, region: String) -> Bool {
        guard !patterns.isEmpty else { return true }
        let value = EventFilter.render(record, eventSourceArn: eventSourceArn, region: region)
        return patterns.contains { $0.matches(value) }
    }

    /// The record as Lambda's DynamoDB event carries it.
    static func render(_ record: StreamRecord, eventSourceArn: String, region: String) -> FilterValue {
        var dynamodb: [String: FilterValue] = [
            "ApproximateCreationDateTime": .number(record.approximateCreationDateTime.timeIntervalSince1970),
            "Keys": attributes(record.keys),
            "SequenceNumber": .string(record.sequenceNumber),
            "SizeBytes": .number(Double(record.sizeBytes)),
            "StreamViewType": .string(record.streamViewType.rawValue),
        ]
        if let image = record.newImage { dynamodb["NewImage"] = attributes(image) }
        if let image = record.oldImage { dynamodb["OldImage"] = attributes(image) }
        var event: [String: FilterValue] = [
            "eventID": .string(record.eventID), "eventName": .string(record.eventName.rawValue),
            "eventVersion": .string("1.1"), "eventSource": .string("aws:dynamodb"), "awsRegion": .string(region),
            "eventSourceARN": .string(eventSourceArn), "dynamodb": .object(dynamodb),
        ]
        // Time to live's deletions, which filters commonly select (`{"userIdentity": {"type": ["Service"]}}`).
        if let identity = record.userIdentity {
            event["userIdentity"] = .object(["type": .string(identity.type), "principalId": .string(identity.principalId)])
        }
        return .object(event)
    }

    static func attributes(_ item: LazyItem) -> FilterValue { attributes(item.dictionary) }

    static func attributes(_ item: Item) -> FilterValue {
        .object(Dictionary(uniqueKeysWithValues: item.map { ($0.key.string, attribute($0.value)) }))
    }

    /// DynamoDB JSON of one value (`{"S": "x"}`, `{"N": "5"}`, …).
    static func attribute(_ value: AttributeValue) -> FilterValue {
        switch value {
        case .s(let text): return .object(["S": .string(text)])
        case .n(let number): return .object(["N": .string(number.description)])
        case .b(let bytes): return .object(["B": .string(Data(bytes).base64EncodedString())])
        case .bool(let flag): return .object(["BOOL": .bool(flag)])
        case .null: return .object(["NULL": .bool(true)])
        case .m(let members): return .object(["M": attributes(members)])
        case .l(let list): return .object(["L": .array(list.map(attribute))])
        case .ss(let texts): return .object(["SS": .array(texts.map { .string($0) })])
        case .ns(let numbers): return .object(["NS": .array(numbers.map { .string($0.description) })])
        case .bs(let blobs): return .object(["BS": .array(blobs.map { .string(Data($0).base64EncodedString()) })])
        }
    }
}
