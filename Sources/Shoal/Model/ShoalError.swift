/// An error of a Shoal operation, named and worded as DynamoDB's.
///
/// `type` is DynamoDB's error type (`ValidationException`, …); the HTTP layer maps it to
/// `__type` and a status in one place.
public struct ShoalError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case validation = "ValidationException"
        case conditionalCheckFailed = "ConditionalCheckFailedException"
        case resourceNotFound = "ResourceNotFoundException"
        case resourceInUse = "ResourceInUseException"
        case transactionCanceled = "TransactionCanceledException"
        case transactionConflict = "TransactionConflictException"
        case transactionInProgress = "TransactionInProgressException"
        case idempotentParameterMismatch = "IdempotentParameterMismatchException"
        case limitExceeded = "LimitExceededException"
        case provisionedThroughputExceeded = "ProvisionedThroughputExceededException"
        case throttling = "ThrottlingException"
        case requestLimitExceeded = "RequestLimitExceeded"
        case itemCollectionSizeLimitExceeded = "ItemCollectionSizeLimitExceededException"
        /// A PartiQL INSERT of a key that is already there.
        case duplicateItem = "DuplicateItemException"
        case expiredIterator = "ExpiredIteratorException"
        case trimmedDataAccess = "TrimmedDataAccessException"
        case internalServerError = "InternalServerError"
        // Lambda's event-source-mapping API.
        case invalidParameterValue = "InvalidParameterValueException"
        case resourceConflict = "ResourceConflictException"
        // The backup API's.
        case tableNotFoundException = "TableNotFoundException"
        case tableAlreadyExists = "TableAlreadyExistsException"
        case tableInUse = "TableInUseException"
        case backupNotFound = "BackupNotFoundException"
        case backupInUse = "BackupInUseException"
        // Point-in-time recovery's.
        case pointInTimeRecoveryUnavailable = "PointInTimeRecoveryUnavailableException"
        case invalidRestoreTime = "InvalidRestoreTimeException"
        case continuousBackupsUnavailable = "ContinuousBackupsUnavailableException"
        // Resource-based policies'.
        case policyNotFound = "PolicyNotFoundException"
        case accessDenied = "AccessDeniedException"
        // The global-table (2017.11.29) API's.
        case globalTableNotFound = "GlobalTableNotFoundException"
    }

    public let kind: Kind
    public let message: String
    /// The item as it was, on a failed condition with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    public var item: Item?
    /// On a TransactionCanceledException: why each action of the transaction was cancelled, in order.
    public var cancellationReasons: [CancellationReason]?
    /// On a throttled request (enforced capacity): which table or index ran out, and of what.
    public var throttlingReasons: [ThrottlingReason]?

    public init(_ kind: Kind, _ message: String, item: Item? = nil) {
        self.kind = kind
        self.message = message
        self.item = item
    }

    /// DynamoDB's error type name.
    public var type: String { kind.rawValue }

    public var description: String { "\(kind.rawValue): \(message)" }

    public static func validation(_ message: String) -> ShoalError { ShoalError(.validation, message) }

    /// `One or more parameter values were invalid: …`, DynamoDB's usual prefix.
    public static func invalidParameter(_ detail: String) -> ShoalError {
        ShoalError(.validation, "One or more parameter values were invalid: \(detail)")
    }

    public static func tableNotFound(_ table: String) -> ShoalError {
        ShoalError(.resourceNotFound, "Requested resource not found: Table: \(table) not found")
    }

    /// What data operations on a missing table say.
    public static let resourceNotFound = ShoalError(.resourceNotFound, "Requested resource not found")

    /// DynamoDB's ConditionalCheckFailedException, optionally carrying the current item.
    public static func conditionalCheckFailed(item: Item? = nil) -> ShoalError {
        ShoalError(.conditionalCheckFailed, "The conditional request failed", item: item)
    }

    /// DynamoDB's TransactionCanceledException: the message lists every action's reason code.
    public static func transactionCanceled(_ reasons: [CancellationReason]) -> ShoalError {
        var error = ShoalError(.transactionCanceled, "Transaction cancelled, please refer cancellation reasons for specific reasons ["
                               + reasons.map(\.code).joined(separator: ", ") + "]")
        error.cancellationReasons = reasons
        return error
    }

    /// What a single-item write on an item of a transaction being committed gets.
    public static let transactionConflict = ShoalError(.transactionConflict, "Transaction is ongoing for the item")

    public static func internalError(_ message: String) -> ShoalError { ShoalError(.internalServerError, message) }
}

/// Why one action of a cancelled transaction failed (`CancellationReasons`), or `None`.
public struct CancellationReason: Sendable, Equatable {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`, …
    public var code: String
    public var message: String?
    /// The item as it was, for `ConditionalCheckFailed` with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    public var item: Item?

    public init(code: String, message: String? = nil, item: Item? = nil) {
        self.code = code
        self.message = message
        self.item = item
    }

    public static let none = CancellationReason(code: "None")
    public static let conflict = CancellationReason(code: "TransactionConflict", message: "Transaction is ongoing for the item")

    static func conditionFailed(_ item: Item?) -> CancellationReason {
        CancellationReason(code: "ConditionalCheckFailed", message: "The conditional request failed", item: item)
    }

    /// A PartiQL INSERT whose key holds an item.
    static let duplicateItem = CancellationReason(code: "DuplicateItem", message: "Duplicate primary key exists in table")

    static func validation(_ message: String) -> CancellationReason {
        CancellationReason(code: "ValidationError", message: message)
    }
}
