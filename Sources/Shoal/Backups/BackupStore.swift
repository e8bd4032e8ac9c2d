import Foundation
import Synchronization

/// `CREATING`, `AVAILABLE` or `DELETED`, as DynamoDB reports a backup.
public enum BackupStatus: String, Sendable, Codable {
    case creating = "CREATING"
    case available = "AVAILABLE"
    case deleted = "DELETED"
}

/// One on-demand backup as stored: `DIR/backups/<id>.json` (this record) and `<id>.items` (the
/// table's stored item values, each preceded by its length as a varint).
struct BackupRecord: Sendable, Codable, Equatable {
    /// The last part of the ARN: creation time in milliseconds (14 digits), `-`, 8 hex digits.
    var id: String
    var name: String
    var arn: String
    var createdAt: Double
    var status: BackupStatus
    /// The table as it was: key schema, indexes, stream and capacity settings.
    var table: TableDefinition
    var tableArn: String
    /// Item bytes and count at the backup's instant (known once AVAILABLE).
    var sizeBytes: Int?
    var itemCount: Int?
}

/// The on-demand backups of a data directory, kept as files in `DIR/backups/` and known in memory.
final class BackupStore: Sendable {
    static let folder = "backups"
    let directory: String
    private let records: Mutex<[String: BackupRecord]>

    /// Loads the backups found in `directory`. A backup a crash left CREATING is incomplete: it is
    /// removed (unless `readOnly`), as its data cannot be taken again at its instant.
    init(directory: String, readOnly: Bool) {
        self.directory = directory
        var found: [String: BackupRecord] = [:]
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".json") {
            guard let data = manager.contents(atPath: directory + "/" + name),
                  let record = try? JSONDecoder().decode(BackupRecord.self, from: data) else { continue }
            if record.status == .creating {
                if !readOnly { BackupStore.removeFiles(of: record.id, in: directory) }
                continue
            }
            found[record.arn] = record
        }
        records = Mutex(found)
    }

    func itemsPath(_ id: String) -> String { directory + "/" + id + ".items" }
    private func recordPath(_ id: String) -> String { directory + "/" + id + ".json" }

    func record(_ arn: String) -> BackupRecord? { records.withLock { $0[arn] } }
    func all() -> [BackupRecord] { records.withLock { Array($0.values) } }

    /// Stores `record` (its file first, then in memory).
    func save(_ record: BackupRecord) throws(ShoalError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try DirectoryCopy.writeAtomically(try JSONEncoder().encode(record), to: recordPath(record.id))
        } catch {
            throw .internalError("Cannot store backup \(record.name): \(error)")
        }
        records.withLock { $0[record.arn] = record }
    }

    /// Forgets a backup and deletes its files.
    func remove(_ record: BackupRecord) {
        _ = records.withLock { $0.removeValue(forKey: record.arn) }
        BackupStore.removeFiles(of: record.id, in: directory)
    }

    private static func removeFiles(of id: String, in directory: String) {
        for suffix in [".json", ".items", ".items.tmp"] { try? FileManager.default.removeItem(atPath: directory + "/" + id + suffix) }
    }

    /// The files of every AVAILABLE backup (they no longer change), for a directory backup.
    func availableFiles() -> [String] {
        records.withLock { records in
            records.values.filter { $0.status == .available }.flatMap { [recordPath($0.id), itemsPath($0.id)] }
        }
    }
}
