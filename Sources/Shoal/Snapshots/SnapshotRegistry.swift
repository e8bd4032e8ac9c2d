import Foundation
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// The named snapshots of a data directory (`DIR/snapshots.json`): for each, where every
/// environment's undo journal stood when it was taken. While the list is not empty every
/// environment journals its writes (see ``LMDB/Environment/rollBackJournal(to:)``), so rolling
/// back costs what changed since the snapshot, not the size of the data.
struct SnapshotRegistry: Codable, Sendable {
    struct Snapshot: Codable, Sendable {
        var name: String
        var createdAt: Double
        /// The journal position of each environment ("catalog", "shards/000", ...).
        var marks: [String: UInt64]
        /// Taken in this order (a rollback drops the snapshots taken after its own).
        var order: Int
    }

    static let fileName = "snapshots.json"
    static let maximumCount = 100

    var snapshots: [Snapshot] = []
    /// A rollback that began and has not finished (the next open finishes it).
    var restoring: String?

    static func load(_ directory: String) throws(ShoalError) -> SnapshotRegistry {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return SnapshotRegistry() }
        do {
            return try JSONDecoder().decode(SnapshotRegistry.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .internalError("\(path) cannot be read: \(error)")
        }
    }

    /// Replaces the file atomically (an empty registry removes it).
    func save(_ directory: String) throws(ShoalError) {
        let path = directory + "/" + SnapshotRegistry.fileName
        do {
            if snapshots.isEmpty && restoring == nil {
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try DirectoryCopy.writeAtomically(try encoder.encode(self), to: path)
        } catch {
            throw .internalError("Cannot write \(path): \(error)")
        }
    }

    func snapshot(named name: String) -> Snapshot? { snapshots.first { $0.name == name } }

    /// The journal position each environment must keep records from (nil: it keeps none).
    func oldestMark(of environment: String) -> UInt64? {
        snapshots.compactMap { $0.marks[environment] }.min()
    }

    /// The position each environment's journal must start at or after: past every mark, so a
    /// record written after a rollback can never be taken for one from before it.
    func nextAtLeast(of environment: String) -> UInt64 {
        snapshots.compactMap { $0.marks[environment] }.max() ?? 0
    }

    /// Snapshot names: 1 to 255 letters, digits, `_`, `-` and `.`.
    static func validate(name: String) throws(ShoalError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        guard (1...255).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw .validation("1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 255")
        }
    }
}
