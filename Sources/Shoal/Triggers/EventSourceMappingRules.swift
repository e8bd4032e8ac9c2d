import Foundation

/// Lambda's validation of event source mapping parameters for DynamoDB streams, with its
/// messages: the API's range constraints answer `ValidationException` in the framework's words,
/// the service's own rules `InvalidParameterValueException`.
enum EventSourceMappingRules {
    static func range(_ value: Int?, _ member: String, _ bounds: ClosedRange<Int>) throws(ShoalError) {
        guard let value, !bounds.contains(value) else { return }
        let constraint = value < bounds.lowerBound ? "greater than or equal to \(bounds.lowerBound)" : "less than or equal to \(bounds.upperBound)"
        throw ShoalError(.validation, "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must have value \(constraint)")
    }

    static func check(_ p: EventSourceMappingParameters) throws(ShoalError) {
        try range(p.batchSize, "batchSize", 1...10_000)
        try range(p.maximumBatchingWindowInSeconds, "maximumBatchingWindowInSeconds", 0...300)
        try range(p.maximumRetryAttempts, "maximumRetryAttempts", -1...10_000)
        try range(p.maximumRecordAgeInSeconds, "maximumRecordAgeInSeconds", -1...604_800)
        try range(p.parallelizationFactor, "parallelizationFactor", 1...10)
        try range(p.tumblingWindowInSeconds, "tumblingWindowInSeconds", 0...900)
        if let age = p.maximumRecordAgeInSeconds, (0..<60).contains(age) {
            throw ShoalError(.invalidParameterValue, "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800 seconds.")
        }
        if let types = p.functionResponseTypes, types.count > 1 {
            throw ShoalError(.validation, "1 validation error detected: Value '\(types.map(\.rawValue))' at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1")
        }
        _ = try EventFilter(p.filterCriteria)
        if let destination = p.onFailureDestination, !destination.isEmpty {
            _ = try FailureDestination(destination)
        }
    }

    /// A new mapping's definition: the request's parameters or Lambda's defaults.
    static func definition(_ request: CreateEventSourceMappingRequest, functionName: String, uuid: String) throws(ShoalError) -> MappingDefinition {
        let p = request.parameters
        try check(p)
        guard let startingPosition = request.startingPosition else {
            throw ShoalError(.invalidParameterValue, "StartingPosition is required for DynamoDB Streams event sources. Valid values are TRIM_HORIZON and LATEST.")
        }
        return MappingDefinition(
            uuid: uuid, functionName: functionName, eventSourceArn: request.eventSourceArn, tableName: request.tableName,
            streamID: nil, startingPosition: startingPosition,
            batchSize: p.batchSize ?? 100, maximumBatchingWindowInSeconds: p.maximumBatchingWindowInSeconds ?? 0,
            maximumRetryAttempts: p.maximumRetryAttempts ?? -1, maximumRecordAgeInSeconds: p.maximumRecordAgeInSeconds ?? -1,
            bisectBatchOnFunctionError: p.bisectBatchOnFunctionError ?? false, functionResponseTypes: p.functionResponseTypes ?? [],
            parallelizationFactor: p.parallelizationFactor ?? 1, tumblingWindowInSeconds: p.tumblingWindowInSeconds ?? 0,
            filterCriteria: p.filterCriteria.flatMap { $0.patterns.isEmpty ? nil : $0 },
            onFailureDestination: p.onFailureDestination.flatMap { $0.isEmpty ? nil : $0 },
            enabled: p.enabled ?? true, lastModified: Date().timeIntervalSince1970)
    }

    /// An update: the given parameters replace the stored ones.
    static func apply(_ p: EventSourceMappingParameters, to definition: inout MappingDefinition) throws(ShoalError) {
        try check(p)
        if let v = p.batchSize { definition.batchSize = v }
        if let v = p.maximumBatchingWindowInSeconds { definition.maximumBatchingWindowInSeconds = v }
        if let v = p.maximumRetryAttempts { definition.maximumRetryAttempts = v }
        if let v = p.maximumRecordAgeInSeconds { definition.maximumRecordAgeInSeconds = v }
        if let v = p.bisectBatchOnFunctionError { definition.bisectBatchOnFunctionError = v }
        if let v = p.functionResponseTypes { definition.functionResponseTypes = v }
        if let v = p.parallelizationFactor { definition.parallelizationFactor = v }
        if let v = p.tumblingWindowInSeconds { definition.tumblingWindowInSeconds = v }
        if let v = p.filterCriteria { definition.filterCriteria = v.patterns.isEmpty ? nil : v }
        if let v = p.onFailureDestination { definition.onFailureDestination = v.isEmpty ? nil : v }
        if let v = p.enabled { definition.enabled = v }
        definition.lastModified = Date().timeIntervalSince1970
    }

    /// A function name from a name or an ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
    static func functionName(_ text: String) throws(ShoalError) -> String {
        let invalid = ShoalError(.validation, "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
        var name = text
        if text.hasPrefix("arn:") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 7, parts[2] == "lambda", parts[5] == "function", !parts[6].isEmpty else {
                throw invalid
            }
            name = String(parts[6])
        }
        guard (1...140).contains(name.utf8.count),
              name.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }) else {
            throw invalid
        }
        return name
    }

    static func functionArn(_ name: String, region: String) -> String {
        "arn:aws:lambda:\(region):000000000000:function:\(name)"
    }
}
