import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `DIR/LOCK`, held while a process has the data directory open for
/// writing, so a second `shoal serve` (or any writer) fails at once instead of sharing it.
/// The kernel releases the lock when the process ends, however it ends.
final class DirectoryLock: Sendable {
    private let descriptor: Mutex<Int32?>

    init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ShoalError.internalError("Cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let path = directory + "/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ShoalError.internalError("Cannot open \(path): \(DirectoryLock.describe(errno))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            if reason == EWOULDBLOCK {
                throw ShoalError.internalError("The data directory \(directory) is in use by another process\(holder.isEmpty ? "" : " (pid \(holder))")")
            }
            throw ShoalError.internalError("Cannot lock \(path): \(DirectoryLock.describe(reason))")
        }
        // Record the owner for the message a second process prints (best effort: the lock, not
        // this note, is what keeps a second process out).
        let file = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try file.truncate(atOffset: 0)
            try file.write(contentsOf: Data("\(getpid())\n".utf8))
        } catch {}
        descriptor = Mutex(fd)
    }

    private static func describe(_ code: Int32) -> String {
        POSIXErrorCode(rawValue: code).map { "\($0)" } ?? "error \(code)"
    }

    /// Releases the lock (once; later calls do nothing).
    func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    deinit { release() }
}
