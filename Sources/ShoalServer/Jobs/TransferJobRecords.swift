import Foundation

/// `IN_PROGRESS`, `COMPLETED` or `FAILED`: an export's or an import's state.
enum TransferJobStatus: String, Codable, Sendable {
    case inProgress = "IN_PROGRESS"
    case completed = "COMPLETED"
    case failed = "FAILED"
}

/// One ExportTableToPointInTime job as kept in `DIR/transfer-jobs/exports/<id>.json`.
struct ExportJob: Codable, Sendable, Equatable {
    var id: String
    var arn: String
    var status: TransferJobStatus
    var tableName: String
    var tableArn: String
    var tableID: String
    var clientToken: String?
    var s3Bucket: String
    var s3Prefix: String?
    var s3BucketOwner: String?
    var s3SseAlgorithm: String?
    var s3SseKmsKeyId: String?
    /// `DYNAMODB_JSON` or `ION`.
    var format: String
    /// `FULL_EXPORT` or `INCREMENTAL_EXPORT`.
    var type: String
    /// A full export's instant (epoch seconds).
    var exportTime: Double?
    /// An incremental export's span and view (`NEW_AND_OLD_IMAGES` or `NEW_IMAGE`).
    var exportFrom: Double?
    var exportTo: Double?
    var exportView: String?
    var startTime: Double
    var endTime: Double?
    var itemCount: Int?
    var billedSizeBytes: Int?
    /// The summary manifest's S3 key.
    var manifest: String?
    var failureCode: String?
    var failureMessage: String?

    /// Whether a request with the same client token asked for the same export.
    func sameRequest(as other: ExportJob) -> Bool {
        tableArn == other.tableArn && s3Bucket == other.s3Bucket && s3Prefix == other.s3Prefix && format == other.format
            && type == other.type && exportFrom == other.exportFrom && exportTo == other.exportTo && exportView == other.exportView
    }
}

/// One ImportTable job as kept in `DIR/transfer-jobs/imports/<id>.json`.
struct ImportJob: Codable, Sendable, Equatable {
    var id: String
    var arn: String
    var status: TransferJobStatus
    var tableName: String
    var tableArn: String
    /// The created table's id (nil until created).
    var tableID: String?
    var clientToken: String?
    var s3Bucket: String
    var s3KeyPrefix: String?
    var s3BucketOwner: String?
    /// `DYNAMODB_JSON`, `CSV` or `ION`.
    var format: String
    var csvDelimiter: String?
    var csvHeaders: [String]?
    /// `GZIP`, `ZSTD` or `NONE`.
    var compression: String
    /// The request's `TableCreationParameters`, as JSON text.
    var tableCreationParameters: String
    var startTime: Double
    var endTime: Double?
    var processedSizeBytes = 0
    var processedItemCount = 0
    var importedItemCount = 0
    var errorCount = 0
    var failureCode: String?
    var failureMessage: String?
}
