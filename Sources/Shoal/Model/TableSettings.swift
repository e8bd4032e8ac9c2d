import Foundation

/// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`. Recorded and reported: both store items the same way here.
public enum TableClass: String, Sendable, Codable, CaseIterable {
    case standard = "STANDARD"
    case standardInfrequentAccess = "STANDARD_INFREQUENT_ACCESS"
}

/// `SSEType`.
public enum SSEType: String, Sendable, Codable, CaseIterable {
    case aes256 = "AES256"
    case kms = "KMS"
}

/// DynamoDB's `SSESpecification`: which key encrypts the table at rest. Recorded and reported
/// as DynamoDB reports it; Shoal's data files are not encrypted by it (see SECURITY.md).
public struct SSESpecification: Sendable, Codable, Equatable {
    /// True: a KMS key (`kmsMasterKeyId`, or the AWS managed key); false or absent: the AWS owned key.
    public var enabled: Bool?
    public var sseType: SSEType?
    public var kmsMasterKeyId: String?

    public init(enabled: Bool? = nil, sseType: SSEType? = nil, kmsMasterKeyId: String? = nil) {
        self.enabled = enabled
        self.sseType = sseType
        self.kmsMasterKeyId = kmsMasterKeyId
    }

    /// Whether a KMS key is in use (DescribeTable then shows `SSEDescription`).
    var usesKMS: Bool { enabled == true || sseType == .kms }
}

/// DynamoDB's `SSEDescription`, present when a KMS key encrypts the table.
public struct SSEDescription: Sendable, Equatable {
    public var status: String
    public var sseType: SSEType
    public var kmsMasterKeyArn: String
}

/// DynamoDB's `OnDemandThroughput`: the most request units per second an on-demand table may use
/// (-1: no limit). Recorded and reported; Shoal throttles nothing.
public struct OnDemandThroughput: Sendable, Codable, Equatable {
    public var maxReadRequestUnits: Int64?
    public var maxWriteRequestUnits: Int64?

    public init(maxReadRequestUnits: Int64? = nil, maxWriteRequestUnits: Int64? = nil) {
        self.maxReadRequestUnits = maxReadRequestUnits
        self.maxWriteRequestUnits = maxWriteRequestUnits
    }
}

/// DynamoDB's `WarmThroughput`: the reads and writes per second a table is ready for at once.
/// Recorded and reported (ACTIVE at once).
public struct WarmThroughput: Sendable, Codable, Equatable {
    public var readUnitsPerSecond: Int64?
    public var writeUnitsPerSecond: Int64?

    public init(readUnitsPerSecond: Int64? = nil, writeUnitsPerSecond: Int64? = nil) {
        self.readUnitsPerSecond = readUnitsPerSecond
        self.writeUnitsPerSecond = writeUnitsPerSecond
    }
}

/// DynamoDB's `TableClassSummary`.
public struct TableClassSummary: Sendable, Equatable {
    public var tableClass: TableClass
    public var lastUpdateDateTime: Date
}

/// The table settings infrastructure tools send with every table: kept in the catalog and
/// reported as DynamoDB reports them. Deletion protection is enforced.
struct TableSettings: Sendable, Codable, Equatable {
    var deletionProtection: Bool?
    var tableClass: TableClass?
    /// When the table class was last set (seconds since 1970).
    var tableClassUpdated: Double?
    var sse: SSESpecification?
    var onDemandThroughput: OnDemandThroughput?
    var warmThroughput: WarmThroughput?

    var isEmpty: Bool { self == TableSettings() }
}

enum TableSettingRules {
    /// DynamoDB's answer to DeleteTable on a protected table.
    static let protected = ShoalError.validation(
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")

    /// Checks an `SSESpecification` as DynamoDB does.
    static func validate(_ sse: SSESpecification) throws(ShoalError) {
        if sse.enabled == false && (sse.sseType != nil || sse.kmsMasterKeyId != nil) {
            throw .validation("One or more parameter values were invalid: SSEType and KMSMasterKeyId can only be specified when SSE is enabled")
        }
        if sse.sseType == .aes256 && sse.kmsMasterKeyId != nil {
            throw .validation("One or more parameter values were invalid: KMSMasterKeyId can only be specified when SSEType is KMS")
        }
    }

    /// Checks `OnDemandThroughput`: each limit -1 (none) or at least 1.
    static func validate(_ limits: OnDemandThroughput) throws(ShoalError) {
        for (name, value) in [("MaxReadRequestUnits", limits.maxReadRequestUnits), ("MaxWriteRequestUnits", limits.maxWriteRequestUnits)] {
            if let value, value != -1 && value < 1 {
                throw .validation("One or more parameter values were invalid: \(name) must be -1 or greater than or equal to 1")
            }
        }
    }

    /// Checks `WarmThroughput`: each value at least 1.
    static func validate(_ warm: WarmThroughput) throws(ShoalError) {
        for (name, value) in [("readUnitsPerSecond", warm.readUnitsPerSecond), ("writeUnitsPerSecond", warm.writeUnitsPerSecond)] {
            if let value, value < 1 {
                throw .validation("1 validation error detected: Value '\(value)' at 'warmThroughput.\(name)' failed to satisfy constraint: Member must have value greater than or equal to 1")
            }
        }
    }

    /// The `SSEDescription` a specification gives, in `region`.
    static func describe(_ sse: SSESpecification?, region: String) -> SSEDescription? {
        guard let sse, sse.usesKMS else { return nil }
        let key = sse.kmsMasterKeyId ?? "alias/aws/dynamodb"
        let arn = key.hasPrefix("arn:") ? key : "arn:aws:kms:\(region):000000000000:\(key.hasPrefix("alias/") ? key : "key/" + key)"
        return SSEDescription(status: "ENABLED", sseType: .kms, kmsMasterKeyArn: arn)
    }
}
