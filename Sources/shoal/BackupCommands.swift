import ArgumentParser
import Synchronization
import Foundation
import Shoal
import ShoalServer

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent copy of a whole data directory (catalog and every shard at one instant).",
        discussion: """
            Works while `shoal serve` runs: when a server holds the directory, it is asked (through the \
            address it recorded in the directory, or --endpoint) to write the copy itself, as the copy must \
            pause its writers for an instant. The copy is a data directory of its own: `shoal restore` puts it \
            back, and `shoal serve --data` can open it directly.
            """)

    @Option(help: "Data directory.")
    var data = "./shoal-data"

    @Option(help: "Where to write the backup: a new or empty directory.")
    var to: String

    @Option(help: "A running server to ask, e.g. http://127.0.0.1:8000 (found in the data directory when omitted).")
    var endpoint: String?

    func run() async throws {
        let destination = URL(fileURLWithPath: to).standardizedFileURL.path
        let bar = ProgressBar("backup", unit: .bytes)
        let output = OutputCleanup(destination)
        let interrupt = InterruptHandler { Backup.removeIncomplete(output) }
        defer { interrupt.cancel() }
        // A mistyped path is an error, never a new (empty) directory backed up.
        guard endpoint != nil || FileManager.default.fileExists(atPath: data + "/catalog") else {
            throw ValidationError("No Shoal data directory at \(data)")
        }
        // The directory itself when no process holds it; else the server that does.
        var database: Database?
        if endpoint == nil {
            do {
                database = try Database.open(at: data)
            } catch let error as ShoalError where error.message.contains("in use by another process") && runningServer(of: data) != nil {
                database = nil
            }
        }
        if database == nil, let server = endpoint ?? runningServer(of: data) {
            FileHandle.standardError.write(Data("backup: \(data) is served by \(server); asking it to write the copy\n".utf8))
            let waiting = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    bar.update(done: Backup.bytesUnder(destination), total: nil)
                }
            }
            defer { waiting.cancel() }
            // The server writes only under its backup root: elsewhere it writes a folder there,
            // which is then moved to the destination the operator named.
            let root = endpoint == nil ? runningServerBackupRoot(of: data) : nil
            guard let root, !root.isEmpty, !destination.hasPrefix(URL(fileURLWithPath: root).standardizedFileURL.path + "/") else {
                let bytes = try await AdminClient.backupDataDirectory(endpoint: server, to: destination)
                bar.finish(done: bytes, note: " → \(destination)")
                return
            }
            let staging = URL(fileURLWithPath: root).standardizedFileURL.path + "/.incoming-" + UUID().uuidString
            let stagingOutput = OutputCleanup(staging)
            let bytes: Int
            do {
                bytes = try await AdminClient.backupDataDirectory(endpoint: server, to: staging)
                try Backup.move(staging, to: destination)
            } catch {
                stagingOutput.remove()
                throw error
            }
            bar.finish(done: bytes, note: " → \(destination)")
            return
        }
        guard let database else { throw ValidationError("no server found for \(data)") }
        defer { database.close() }
        let result = try await interrupt.run {
            try await database.backUpDirectory(to: destination) { progress in
                bar.update(done: progress.done, total: progress.total)
            }
        }
        bar.finish(done: result.bytes, note: " → \(destination) (\(result.shardCount) shards)")
    }

    /// Moves a finished backup folder to `destination`, which must not exist or be empty.
    static func move(_ folder: String, to destination: String) throws {
        let manager = FileManager.default
        if let contents = try? manager.contentsOfDirectory(atPath: destination) {
            guard contents.isEmpty else { throw ValidationError("\(destination) is not empty") }
            try manager.removeItem(atPath: destination)
        }
        try manager.createDirectory(atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try manager.moveItem(atPath: folder, toPath: destination)
    }

    /// A backup without its manifest is not one: an interrupted backup removes what it wrote.
    static func removeIncomplete(_ output: OutputCleanup) {
        guard !FileManager.default.fileExists(atPath: output.path + "/BACKUP.json") else { return }
        output.remove()
    }

    static func bytesUnder(_ path: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let relative = enumerator.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
            total += (attributes?[.size] as? Int) ?? 0
        }
        return total
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup written by `shoal backup` into a data directory.",
        discussion: "The directory must be new or empty unless --overwrite is given; a directory a process has open is never touched.")

    @Option(help: "The backup directory.")
    var from: String

    @Option(help: "Data directory to restore into.")
    var data = "./shoal-data"

    @Flag(help: "Replace the contents of a non-empty data directory.")
    var overwrite = false

    func run() async throws {
        // The engine refuses a directory with contents; the hint about the flag is the CLI's.
        if !overwrite, let contents = try? FileManager.default.contentsOfDirectory(atPath: data), contents.contains(where: { $0 != "LOCK" }) {
            throw ValidationError("\(data) is not empty: restore into a new or empty directory, or pass --overwrite to replace its contents")
        }
        let bar = ProgressBar("restore", unit: .bytes)
        // An interrupted restore leaves the directory marked, so nothing opens it half-copied.
        let interrupt = InterruptHandler {}
        defer { interrupt.cancel() }
        let counter = CopyCounter()
        try await Database.restoreDirectory(from: from, to: data, overwrite: overwrite) { progress in
            counter.set(progress.done)
            bar.update(done: progress.done, total: progress.total)
        }
        bar.finish(done: counter.value, note: " → \(data)")
    }
}

/// The last byte count a progress callback reported.
final class CopyCounter: Sendable {
    private let count = Mutex(0)
    func set(_ value: Int) { count.withLock { $0 = value } }
    var value: Int { count.withLock { $0 } }
}
