import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File work of backups and restores: empty destinations, file copies with progress, and running
/// blocking work on a thread of its own rather than on Swift's few cooperative threads.
enum DirectoryCopy {
    /// Creates `path`, or accepts it when it is an empty directory.
    static func prepareEmptyDirectory(_ path: String) throws(ShoalError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .validation("\(path) exists and is not a directory") }
            let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty else { throw .validation("\(path) is not empty: a backup goes into a new or empty directory") }
            return
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .internalError("Cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// Runs blocking `work` on a new thread and returns its result.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
            let thread = Thread { done.resume(returning: work()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Writes `data` to `path` through a temporary file and a rename, flushed to disk.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw ShoalError.internalError("Cannot create \(temporary)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces an existing file atomically: a crash leaves the old or the new one.
        guard rename(temporary, path) == 0 else {
            throw ShoalError.internalError("Cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Copies `files` (absolute paths) into `directory`, but those deleted meanwhile.
    /// - Returns: the bytes copied.
    static func copyFiles(_ files: [String], into directory: String) throws -> Int {
        guard !files.isEmpty else { return 0 }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bytes = 0
        for file in files where FileManager.default.fileExists(atPath: file) {
            bytes += try copyFile(file, to: directory + "/" + (file as NSString).lastPathComponent, progress: nil)
        }
        return bytes
    }

    /// Copies one file in 1 MB chunks, flushed to disk; `progress` gets each chunk's size.
    @discardableResult
    static func copyFile(_ source: String, to destination: String, progress: ((Int) -> Void)?) throws -> Int {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil) else {
            throw ShoalError.internalError("Cannot create \(destination)")
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
        defer { try? output.close() }
        var bytes = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
            bytes += chunk.count
            progress?(chunk.count)
        }
        try output.synchronize()
        return bytes
    }

    /// Takes the directory a restore writes into: locks it (refused while a process has it open)
    /// and checks it is empty, or with `overwrite` empties it.
    static func claim(_ directory: String, overwrite: Bool) throws -> DirectoryLock {
        let lock = try DirectoryLock(directory: directory)
        let manager = FileManager.default
        let contents = try manager.contentsOfDirectory(atPath: directory).filter { $0 != "LOCK" }
        if !contents.isEmpty {
            guard overwrite else {
                lock.release()
                throw ShoalError.validation("\(directory) is not empty: restore into a new or empty directory, or overwrite it")
            }
            for name in contents { try manager.removeItem(atPath: directory + "/" + name) }
        }
        return lock
    }

    /// Copies every file under `source` (but its `LOCK` and LMDB's `lock.mdb` files) into
    /// `destination`, reporting progress against `total` bytes.
    static func copyTree(from source: String, to destination: String, total: Int,
                         progress: (@Sendable (CopyProgress) -> Void)?) throws {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: source) else {
            throw ShoalError.validation("Cannot read \(source)")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name != "LOCK", name != "lock.mdb", name != "ENDPOINT", name != DirectoryBackupManifest.fileName,
                  name != DirectoryBackupManifest.restoringMarker else { continue }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: source + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files.append(relative)
        }
        var done = 0
        var lastReport = Date()
        for relative in files.sorted() {
            let target = destination + "/" + relative
            try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try copyFile(source + "/" + relative, to: target) { bytes in
                done += bytes
                if let progress, Date().timeIntervalSince(lastReport) >= 0.5 {
                    lastReport = Date()
                    progress(CopyProgress(done: done, total: max(total, done)))
                }
            }
        }
        progress?(CopyProgress(done: done, total: max(total, done)))
    }
}
