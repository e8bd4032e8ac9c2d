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
        case limitExceeded = "LimitExceededException"
        case itemCollectionSizeLimitExceeded = "ItemCollectionSizeLimitExceededException"
        case expiredIterator = "ExpiredIteratorException"
        case trimmedDataAccess = "TrimmedDataAccessException"
        case internalServerError = "InternalServerError"
        // Lambda's event-source-mapping API.
        case invalidParameterValue = "InvalidParameterValueException"
        case resourceConflict = "ResourceConflictException"
    }

    public let kind: Kind
    public let message: String
    /// The item as it was, on a failed condition with `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    public var item: Item?

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

    public static func internalError(_ message: String) -> ShoalError { ShoalError(.internalServerError, message) }
}
