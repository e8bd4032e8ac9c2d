import Foundation
import LMDB
import Synchronization

/// One environment's compacting copy into `directory/data.mdb`, through a pipe: LMDB writes the
/// copy into the pipe on one thread, another drains it into the file, so the first byte marks
/// the moment LMDB's read transaction had begun (see ``Database/backUpDirectory(to:progress:)``).
final class EnvironmentCopy: @unchecked Sendable {
    // @unchecked: `failure` is written by the copy threads before `done` is signalled and read after.
    private let environment: Environment
    private let pipe = Pipe()
    private let output: FileHandle
    private let begun = DispatchSemaphore(value: 0)
    private let copied = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)
    private var failure: (any Error)?
    private var drainFailure: (any Error)?
    /// Bytes written to the file so far.
    let bytes = Atomic<Int>(0)

    init(environment: Environment, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/data.mdb"
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ShoalError.internalError("Cannot create \(path)")
        }
        self.environment = environment
        output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Starts the copy and the draining threads.
    func start() {
        let copier = Thread { [self] in
            do {
                try environment.copy(toDescriptor: pipe.fileHandleForWriting.fileDescriptor, compact: true)
            } catch {
                failure = error
            }
            try? pipe.fileHandleForWriting.close()
            copied.signal()
        }
        copier.stackSize = 1 << 20
        copier.start()
        let drainer = Thread { [self] in
            // Reads to the end even when the file cannot take more, so LMDB never blocks on a full pipe.
            var first = true
            while true {
                let chunk: Data?
                do {
                    chunk = try pipe.fileHandleForReading.read(upToCount: 1 << 20)
                } catch {
                    drainFailure = drainFailure ?? error
                    break
                }
                guard let chunk, !chunk.isEmpty else { break }
                if first {
                    first = false
                    begun.signal()
                }
                guard drainFailure == nil else { continue }
                do {
                    try output.write(contentsOf: chunk)
                    bytes.add(chunk.count, ordering: .relaxed)
                } catch {
                    drainFailure = error
                }
            }
            if first { begun.signal() }
            drained.signal()
        }
        drainer.stackSize = 1 << 20
        drainer.start()
    }

    /// Waits until LMDB's read transaction has begun (its first byte arrived, or the copy ended).
    func waitUntilBegun() { begun.wait() }

    /// Waits for the end of the copy, flushes the file to disk. - Returns: the bytes written.
    func finish() throws -> Int {
        copied.wait()
        drained.wait()
        if let failure { throw failure }
        if let drainFailure { throw drainFailure }
        try output.synchronize()
        try output.close()
        return bytes.load(ordering: .relaxed)
    }

    /// Closes the file after a failure (a copy still running reads to its end, failing to write).
    func abandon() {
        try? output.close()
    }
}

/// Reports a copy's progress every half second until stopped.
final class ProgressTicker: Sendable {
    private let task: Task<Void, Never>

    init(total: Int, copies: [EnvironmentCopy], report: @escaping @Sendable (CopyProgress) -> Void) {
        task = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                let done = copies.reduce(0) { $0 + $1.bytes.load(ordering: .relaxed) }
                report(CopyProgress(done: done, total: max(total, done)))
            }
        }
    }

    func stop() { task.cancel() }
}
