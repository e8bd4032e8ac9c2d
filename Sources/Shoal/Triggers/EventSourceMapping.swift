import Foundation

/// Where a new event source mapping starts reading its stream (Lambda's `StartingPosition`).
public enum StartingPosition: String, Sendable, Codable, CaseIterable {
    case trimHorizon = "TRIM_HORIZON"
    case latest = "LATEST"
}

/// Lambda's `FunctionResponseTypes` values.
public enum FunctionResponseType: String, Sendable, Codable, CaseIterable {
    /// The function may answer `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}`.
    case reportBatchItemFailures = "ReportBatchItemFailures"
}

/// Lambda's `State` of an event source mapping.
public enum EventSourceMappingState: String, Sendable, Codable {
    case creating = "Creating"
    case enabling = "Enabling"
    case enabled = "Enabled"
    case disabling = "Disabling"
    case disabled = "Disabled"
    case updating = "Updating"
    case deleting = "Deleting"
}

/// Lambda's `FilterCriteria`: up to five event patterns, ORed; a record matching none is skipped
/// (and counts as processed).
public struct FilterCriteria: Sendable, Codable, Equatable {
    /// Each an event pattern in JSON, e.g. `{"eventName": ["REMOVE"]}`.
    public var patterns: [String]

    public init(patterns: [String]) { self.patterns = patterns }
}

/// The parameters of an event source mapping that Create and Update set. On a create, nil means
/// Lambda's default; on an update, nil means unchanged.
public struct EventSourceMappingParameters: Sendable, Codable, Equatable {
    /// 1–10,000 records per invocation (default 100).
    public var batchSize: Int?
    /// 0–300 seconds to gather records before invoking (default 0).
    public var maximumBatchingWindowInSeconds: Int?
    /// -1 (until the record expires, the default) or 0–10,000.
    public var maximumRetryAttempts: Int?
    /// -1 (until the record expires, the default) or 60–604,800.
    public var maximumRecordAgeInSeconds: Int?
    /// Split a failed batch in two and retry the halves (splits do not count as retries).
    public var bisectBatchOnFunctionError: Bool?
    public var functionResponseTypes: [FunctionResponseType]?
    /// 1–10 concurrent batches per shard; records of one partition key stay in order.
    public var parallelizationFactor: Int?
    /// 0–900 seconds; 0 means no tumbling window.
    public var tumblingWindowInSeconds: Int?
    public var filterCriteria: FilterCriteria?
    /// `DestinationConfig.OnFailure.Destination`: a table ARN (`arn:aws:dynamodb:…:table/NAME`) or an
    /// `http(s)://` URL; "" removes it on an update.
    public var onFailureDestination: String?
    /// Whether the mapping polls (default true).
    public var enabled: Bool?

    public init(batchSize: Int? = nil, maximumBatchingWindowInSeconds: Int? = nil, maximumRetryAttempts: Int? = nil,
                maximumRecordAgeInSeconds: Int? = nil, bisectBatchOnFunctionError: Bool? = nil,
                functionResponseTypes: [FunctionResponseType]? = nil, parallelizationFactor: Int? = nil,
                tumblingWindowInSeconds: Int? = nil, filterCriteria: FilterCriteria? = nil,
                onFailureDestination: String? = nil, enabled: Bool? = nil) {
        self.batchSize = batchSize
        self.maximumBatchingWindowInSeconds = maximumBatchingWindowInSeconds
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumRecordAgeInSeconds = maximumRecordAgeInSeconds
        self.bisectBatchOnFunctionError = bisectBatchOnFunctionError
        self.functionResponseTypes = functionResponseTypes
        self.parallelizationFactor = parallelizationFactor
        self.tumblingWindowInSeconds = tumblingWindowInSeconds
        self.filterCriteria = filterCriteria
        self.onFailureDestination = onFailureDestination
        self.enabled = enabled
    }
}

/// Lambda's `CreateEventSourceMapping` for a table's stream.
public struct CreateEventSourceMappingRequest: Sendable {
    /// A function name, or its ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`).
    public var functionName: String
    /// The stream's ARN (`LatestStreamArn`); or leave nil and name `tableName`.
    public var eventSourceArn: String?
    /// A table whose stream the mapping follows (Shoal's triggers file: the stream the table has
    /// when the mapping starts, or the one it gets later).
    public var tableName: String?
    public var startingPosition: StartingPosition?
    public var parameters: EventSourceMappingParameters

    public init(functionName: String, eventSourceArn: String? = nil, tableName: String? = nil,
                startingPosition: StartingPosition?, parameters: EventSourceMappingParameters = .init()) {
        self.functionName = functionName
        self.eventSourceArn = eventSourceArn
        self.tableName = tableName
        self.startingPosition = startingPosition
        self.parameters = parameters
    }
}

/// An event source mapping as stored: every parameter resolved to its value.
struct MappingDefinition: Sendable, Codable, Equatable {
    var uuid: String
    var functionName: String
    /// The stream ARN the mapping was created with (nil when it follows a table).
    var eventSourceArn: String?
    var tableName: String?
    /// The stream the mapping reads (set once bound; a table-following mapping binds when the
    /// table has a stream).
    var streamID: String?
    var startingPosition: StartingPosition
    var batchSize: Int
    var maximumBatchingWindowInSeconds: Int
    var maximumRetryAttempts: Int
    var maximumRecordAgeInSeconds: Int
    var bisectBatchOnFunctionError: Bool
    var functionResponseTypes: [FunctionResponseType]
    var parallelizationFactor: Int
    var tumblingWindowInSeconds: Int
    var filterCriteria: FilterCriteria?
    var onFailureDestination: String?
    var enabled: Bool
    var lastModified: Double

    var reportsItemFailures: Bool { functionResponseTypes.contains(.reportBatchItemFailures) }
}

/// How far a mapping got in one stream shard.
public struct EventSourceMappingShardPosition: Sendable, Equatable {
    public var shardId: String
    /// The sequence number of the last record the mapping finished (nil: none yet).
    public var checkpoint: String?
    /// Records after the checkpoint (counted up to 100,000).
    public var recordsBehind: Int
    /// Age of the oldest record after the checkpoint.
    public var secondsBehind: Double
}

/// Lambda's `EventSourceMappingConfiguration`, with Shoal's view of the mapping's progress.
public struct EventSourceMappingConfiguration: Sendable, Equatable {
    public var uuid: String
    public var functionArn: String
    public var functionName: String
    /// The stream ARN (nil while a table-following mapping waits for its table's stream).
    public var eventSourceArn: String?
    public var tableName: String?
    public var startingPosition: StartingPosition
    public var batchSize: Int
    public var maximumBatchingWindowInSeconds: Int
    public var maximumRetryAttempts: Int
    public var maximumRecordAgeInSeconds: Int
    public var bisectBatchOnFunctionError: Bool
    public var functionResponseTypes: [FunctionResponseType]
    public var parallelizationFactor: Int
    public var tumblingWindowInSeconds: Int
    public var filterCriteria: FilterCriteria?
    public var onFailureDestination: String?
    public var state: EventSourceMappingState
    public var stateTransitionReason: String
    public var lastModified: Date
    /// Lambda's wording: `No records processed`, `OK`, `PROBLEM: Function call failed`, …
    public var lastProcessingResult: String
    public var lastError: String?
    public var shards: [EventSourceMappingShardPosition]
    /// When ``lastError`` was reported (nil: not since the database opened).
    public var lastErrorTime: Date? = nil
    /// Records handed to the function since the database opened, retries included: the console
    /// shows its rate.
    public var recordsSent = 0
    public var recordsBehind: Int { shards.reduce(0) { $0 + $1.recordsBehind } }
    public var secondsBehind: Double { shards.map(\.secondsBehind).max() ?? 0 }
}

public struct ListEventSourceMappingsResponse: Sendable, Equatable {
    public var eventSourceMappings: [EventSourceMappingConfiguration]
    public var nextMarker: String?
}
