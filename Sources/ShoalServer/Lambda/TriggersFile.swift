import Foundation
import Shoal
import Yams

/// `shoal serve --triggers FILE`: functions by name and kind, and the event source mappings,
/// in YAML or JSON, with Lambda's own member names.
///
/// ```yaml
/// Functions:
///   orders-handler:
///     RuntimeApi: 127.0.0.1:9001
///     Timeout: 30
///   audit:
///     Webhook: http://127.0.0.1:7000/hook
/// EventSourceMappings:
///   - FunctionName: audit
///     Table: Orders
///     StartingPosition: TRIM_HORIZON
///     BatchSize: 10
/// ```
public struct TriggersFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case webhook(url: String)
        case runtimeAPI(host: String, port: Int)
    }

    public struct Function: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// Lambda's `Timeout` (default 3 seconds, at most 900).
        public var timeout: Int
    }

    public struct Mapping: Sendable, Equatable {
        public var functionName: String
        public var eventSourceArn: String?
        public var table: String?
        public var startingPosition: StartingPosition?
        public var parameters: EventSourceMappingParameters
    }

    public var functions: [Function]
    public var mappings: [Mapping]

    /// A problem in the file, with where it is.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public static func load(path: String) throws -> TriggersFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Problem("\(path): cannot read the triggers file")
        }
        do {
            return try parse(text)
        } catch let problem as Problem {
            throw Problem("\(path): \(problem.description)")
        }
    }

    /// Parses YAML (JSON is YAML too).
    public static func parse(_ text: String) throws -> TriggersFile {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Problem("not valid YAML or JSON: \(error)")
        }
        var budget = TriggersFile.maxNodes
        let document = try node.map { try plain($0, depth: 0, budget: &budget) }
        guard let root = document as? [String: Any] else { throw Problem("the file must be a mapping with Functions and EventSourceMappings") }
        try only(root, ["Functions", "EventSourceMappings"], at: "the file")
        var functions: [Function] = []
        if let declared = root["Functions"] {
            guard let declared = declared as? [String: Any] else { throw Problem("Functions must map function names to their settings") }
            for (name, settings) in declared.sorted(by: { $0.key < $1.key }) {
                functions.append(try function(name, settings))
            }
        }
        var mappings: [Mapping] = []
        if let listed = root["EventSourceMappings"] {
            guard let listed = listed as? [Any] else { throw Problem("EventSourceMappings must be a list") }
            for (index, entry) in listed.enumerated() {
                mappings.append(try mapping(entry, at: "EventSourceMappings[\(index)]", functions: functions))
            }
        }
        return TriggersFile(functions: functions, mappings: mappings)
    }

    /// Bounds on what a file may hold (aliases can repeat a node many times).
    static let maxNodes = 100_000
    static let maxDepth = 64

    /// The composed YAML as plain values: our own small constructor, which accepts only what a
    /// triggers file can hold (strings as keys, scalars by their resolved tag) and is bounded.
    private static func plain(_ node: Node, depth: Int, budget: inout Int) throws -> Any {
        budget -= 1
        guard budget >= 0 else { throw Problem("the file holds more than \(maxNodes) values") }
        guard depth <= maxDepth else { throw Problem("the file nests deeper than \(maxDepth) levels") }
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            // Not Yams' constructors: its sexagesimal integers trap on overflow (found by FuzzTriggers).
            case .int: return Int(scalar.string) ?? scalar.string
            case .bool:
                switch scalar.string.lowercased() {
                case "true", "yes", "on", "y": return true
                case "false", "no", "off", "n": return false
                default: return scalar.string
                }
            case .float: return Double(scalar.string) ?? scalar.string
            case .null: return NSNull()
            default: return scalar.string
            }
        case .mapping(let mapping):
            var members: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { throw Problem("mapping keys must be plain names") }
                members[name.string] = try plain(value, depth: depth + 1, budget: &budget)
            }
            return members
        case .sequence(let sequence):
            var values: [Any] = []
            for element in sequence { values.append(try plain(element, depth: depth + 1, budget: &budget)) }
            return values
        case .alias:
            throw Problem("YAML aliases are not supported in a triggers file")
        }
    }

    private static func only(_ members: [String: Any], _ allowed: Set<String>, at place: String) throws {
        for key in members.keys where !allowed.contains(key) {
            throw Problem("\(place): unknown member \(key) (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private static func function(_ name: String, _ settings: Any) throws -> Function {
        let place = "Functions.\(name)"
        try FunctionNameRule.check(name: name, place: place)
        guard let settings = settings as? [String: Any] else { throw Problem("\(place) must be a mapping (Webhook or RuntimeApi, and Timeout)") }
        try only(settings, ["Webhook", "RuntimeApi", "Timeout"], at: place)
        let timeout = try int(settings["Timeout"], at: "\(place).Timeout") ?? 3
        guard (1...900).contains(timeout) else { throw Problem("\(place).Timeout must be between 1 and 900 seconds") }
        switch (settings["Webhook"], settings["RuntimeApi"]) {
        case (let url as String, nil):
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw Problem("\(place).Webhook must be an http:// or https:// URL")
            }
            return Function(name: name, kind: .webhook(url: url), timeout: timeout)
        case (nil, let port as Int) where (1...65535).contains(port):
            // A bare port listens on loopback.
            return Function(name: name, kind: .runtimeAPI(host: "127.0.0.1", port: port), timeout: timeout)
        case (nil, let address as String):
            if let port = Int(address), (1...65535).contains(port) {
                return Function(name: name, kind: .runtimeAPI(host: "127.0.0.1", port: port), timeout: timeout)
            }
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                throw Problem("\(place).RuntimeApi must be a port (on loopback) or host:port (for example 9001 or 127.0.0.1:9001)")
            }
            return Function(name: name, kind: .runtimeAPI(host: String(address[..<colon]), port: port), timeout: timeout)
        default:
            throw Problem("\(place) needs exactly one of Webhook (a URL) and RuntimeApi (host:port)")
        }
    }

    private static func mapping(_ entry: Any, at place: String, functions: [Function]) throws -> Mapping {
        guard let m = entry as? [String: Any] else { throw Problem("\(place) must be a mapping") }
        try only(m, ["FunctionName", "Table", "EventSourceArn", "StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds",
                     "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "FunctionResponseTypes",
                     "ParallelizationFactor", "TumblingWindowInSeconds", "FilterCriteria", "DestinationConfig", "Enabled"], at: place)
        guard let function = m["FunctionName"] as? String else { throw Problem("\(place).FunctionName is required") }
        guard functions.contains(where: { $0.name == function }) else {
            throw Problem("\(place).FunctionName \(function) is not declared under Functions")
        }
        let table = m["Table"] as? String
        let arn = m["EventSourceArn"] as? String
        guard (table == nil) != (arn == nil) else { throw Problem("\(place) needs exactly one of Table and EventSourceArn") }
        var position: StartingPosition?
        if let text = m["StartingPosition"] {
            guard let text = text as? String, let parsed = StartingPosition(rawValue: text) else {
                throw Problem("\(place).StartingPosition must be TRIM_HORIZON or LATEST")
            }
            position = parsed
        } else {
            throw Problem("\(place).StartingPosition is required (TRIM_HORIZON or LATEST)")
        }
        var p = EventSourceMappingParameters()
        p.batchSize = try int(m["BatchSize"], at: "\(place).BatchSize")
        p.maximumBatchingWindowInSeconds = try int(m["MaximumBatchingWindowInSeconds"], at: "\(place).MaximumBatchingWindowInSeconds")
        p.maximumRetryAttempts = try int(m["MaximumRetryAttempts"], at: "\(place).MaximumRetryAttempts")
        p.maximumRecordAgeInSeconds = try int(m["MaximumRecordAgeInSeconds"], at: "\(place).MaximumRecordAgeInSeconds")
        p.parallelizationFactor = try int(m["ParallelizationFactor"], at: "\(place).ParallelizationFactor")
        p.tumblingWindowInSeconds = try int(m["TumblingWindowInSeconds"], at: "\(place).TumblingWindowInSeconds")
        p.bisectBatchOnFunctionError = try bool(m["BisectBatchOnFunctionError"], at: "\(place).BisectBatchOnFunctionError")
        p.enabled = try bool(m["Enabled"], at: "\(place).Enabled")
        if let types = m["FunctionResponseTypes"] {
            guard let list = types as? [Any] else { throw Problem("\(place).FunctionResponseTypes must be a list") }
            p.functionResponseTypes = try list.map { value in
                guard let text = value as? String, let type = FunctionResponseType(rawValue: text) else {
                    throw Problem("\(place).FunctionResponseTypes may only hold ReportBatchItemFailures")
                }
                return type
            }
        }
        if let criteria = m["FilterCriteria"] {
            guard let criteria = criteria as? [String: Any], let filters = criteria["Filters"] as? [Any] else {
                throw Problem("\(place).FilterCriteria must be {Filters: [{Pattern: …}]}")
            }
            p.filterCriteria = FilterCriteria(patterns: try filters.enumerated().map { index, filter in
                guard let filter = filter as? [String: Any], let pattern = filter["Pattern"] else {
                    throw Problem("\(place).FilterCriteria.Filters[\(index)] needs a Pattern")
                }
                if let text = pattern as? String { return text }
                // A pattern written as YAML rather than as a JSON string.
                guard JSONSerialization.isValidJSONObject(pattern), let data = try? JSONSerialization.data(withJSONObject: pattern) else {
                    throw Problem("\(place).FilterCriteria.Filters[\(index)].Pattern must be a JSON object or a string holding one")
                }
                return String(decoding: data, as: UTF8.self)
            })
        }
        if let destination = m["DestinationConfig"] {
            guard let destination = destination as? [String: Any], let onFailure = destination["OnFailure"] as? [String: Any],
                  let target = onFailure["Destination"] as? String else {
                throw Problem("\(place).DestinationConfig must be {OnFailure: {Destination: <table ARN or URL>}}")
            }
            p.onFailureDestination = target
        }
        return Mapping(functionName: function, eventSourceArn: arn, table: table, startingPosition: position, parameters: p)
    }

    private static func int(_ value: Any?, at place: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = value as? Int else { throw Problem("\(place) must be a whole number") }
        return number
    }

    private static func bool(_ value: Any?, at place: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value as? Bool else { throw Problem("\(place) must be true or false") }
        return flag
    }
}

/// Function names follow Lambda's pattern.
private enum FunctionNameRule {
    static func check(name: String, place: String) throws {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw TriggersFile.Problem("\(place): a function name has 1 to 64 letters, digits, hyphens or underscores")
        }
    }
}
