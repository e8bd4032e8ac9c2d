import Foundation

/// What a table's change stream records of each change (DynamoDB's `StreamViewType`).
public enum StreamViewType: String, Sendable, Codable, CaseIterable {
    case keysOnly = "KEYS_ONLY"
    case newImage = "NEW_IMAGE"
    case oldImage = "OLD_IMAGE"
    case newAndOldImages = "NEW_AND_OLD_IMAGES"

    var carriesNewImage: Bool { self == .newImage || self == .newAndOldImages }
    var carriesOldImage: Bool { self == .oldImage || self == .newAndOldImages }
}

/// DynamoDB's `StreamSpecification` of CreateTable, UpdateTable and DescribeTable.
public struct StreamSpecification: Sendable, Codable, Equatable {
    public var streamEnabled: Bool
    /// Required when `streamEnabled`; absent otherwise.
    public var streamViewType: StreamViewType?

    public init(streamEnabled: Bool, streamViewType: StreamViewType? = nil) {
        self.streamEnabled = streamEnabled
        self.streamViewType = streamViewType
    }

    public static func enabled(_ viewType: StreamViewType) -> StreamSpecification {
        StreamSpecification(streamEnabled: true, streamViewType: viewType)
    }
}

/// One stream of a table: created when the stream is enabled, ended when it is disabled or the
/// table deleted, and readable until its last records age out. Enabling again makes a new one.
struct StreamDefinition: Sendable, Codable, Equatable {
    /// Stable identifier, naming the stream's database in every shard.
    var id: String
    var tableName: String
    var tableID: String
    /// DynamoDB's stream label: the creation time, `yyyy-MM-dd'T'HH:mm:ss.SSS`.
    var label: String
    var viewType: StreamViewType
    var primaryKey: PrimaryKey
    var createdAt: Double
    /// When the stream stopped taking records (disabled, or its table deleted).
    var endedAt: Double?

    func arn(region: String) -> String {
        "arn:aws:dynamodb:\(region):000000000000:table/\(tableName)/stream/\(label)"
    }

    /// DynamoDB's label format for a creation time (UTC, milliseconds).
    static func label(for date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS"
        return formatter.string(from: date)
    }
}

extension StreamDefinition {
    static func new(table: String, tableID: String, viewType: StreamViewType, primaryKey: PrimaryKey, at date: Date) -> StreamDefinition {
        StreamDefinition(id: UUID().uuidString.lowercased(), tableName: table, tableID: tableID, label: label(for: date),
                         viewType: viewType, primaryKey: primaryKey, createdAt: date.timeIntervalSince1970)
    }
}

/// DynamoDB's rules for a `StreamSpecification`.
enum StreamRules {
    /// The view type of a stream to enable, or nil when the specification enables none.
    static func viewType(_ specification: StreamSpecification?) throws(ShoalError) -> StreamViewType? {
        guard let specification else { return nil }
        if specification.streamEnabled {
            guard let viewType = specification.streamViewType else {
                throw .invalidParameter("If stream is being enabled then UpdateViewType is required")
            }
            return viewType
        }
        if specification.streamViewType != nil {
            throw .invalidParameter("If stream is being disabled, then UpdateViewType must not be specified")
        }
        return nil
    }
}
