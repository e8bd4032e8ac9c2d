import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long command on standard error: a bar with rate and ETA redrawn in place on a
/// terminal, or a plain line every few seconds otherwise (logs, CI).
final class ProgressBar: Sendable {
    private let label: String
    private let unit: Unit
    private let terminal: Bool
    private let started = ContinuousClock.now
    private let lastPrinted = Mutex<ContinuousClock.Instant?>(nil)

    enum Unit: Sendable {
        case bytes, items
    }

    init(_ label: String, unit: Unit) {
        self.label = label
        self.unit = unit
        terminal = isatty(STDERR_FILENO) == 1
    }

    /// Reports `done` of `total` (nil when unknown).
    func update(done: Int, total: Int?) {
        let now = ContinuousClock.now
        let due = lastPrinted.withLock { last -> Bool in
            let interval: Duration = terminal ? .milliseconds(200) : .seconds(2)
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
        guard due else { return }
        let line = render(done: done, total: total, elapsed: now - started)
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the bar with a summary line.
    func finish(done: Int, note: String = "") {
        let elapsed = ContinuousClock.now - started
        let seconds = max(elapsed.seconds, 0.001)
        let line = "\(label): \(format(done)) in \(String(format: "%.1f", seconds)) s (\(format(Int(Double(done) / seconds)))/s)\(note)"
        FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }

    private func render(done: Int, total: Int?, elapsed: Duration) -> String {
        let seconds = max(elapsed.seconds, 0.001)
        let rate = Double(done) / seconds
        var line = "\(label): \(format(done))"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            line = "\(label) [\(bar)] \(String(format: "%3.0f", fraction * 100))% \(format(done))/\(format(total))"
            if rate > 0 {
                let remaining = Double(max(0, total - done)) / rate
                line += " ETA \(String(format: "%.0f", remaining)) s"
            }
        }
        return line + " \(format(Int(rate)))/s"
    }

    private func format(_ value: Int) -> String {
        switch unit {
        case .items:
            return String(value) + " items"
        case .bytes:
            let units = ["B", "KB", "MB", "GB", "TB"]
            var scaled = Double(value)
            var index = 0
            while scaled >= 1024, index < units.count - 1 {
                scaled /= 1024
                index += 1
            }
            return index == 0 ? "\(value) B" : String(format: "%.1f %@", scaled, units[index])
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Runs `cleanup` and exits with status 130 on Ctrl-C (SIGINT) or SIGTERM, so an interrupted
/// command leaves nothing that looks complete. Work started with ``run(_:)`` is cancelled and
/// awaited (up to ten seconds) before `cleanup` runs: removing a folder while the work still
/// writes into it could leave a file it created after the removal listed the folder.
final class InterruptHandler: @unchecked Sendable {
    // @unchecked: `sources` is set once in init; DispatchSource's methods are thread-safe.
    private let sources: [any DispatchSourceSignal]
    private let state = InterruptState()

    init(_ cleanup: @escaping @Sendable () -> Void) {
        var sources: [any DispatchSourceSignal] = []
        let state = self.state
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard !state.interrupted.exchange(true, ordering: .sequentiallyConsistent) else { return }
                FileHandle.standardError.write(Data("\ninterrupted\n".utf8))
                if let running = state.work.withLock({ $0 }) {
                    running.stop()
                    let stopped = DispatchSemaphore(value: 0)
                    Task { await running.ended.value; stopped.signal() }
                    _ = stopped.wait(timeout: .now() + .seconds(10))
                }
                cleanup()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Runs `body` as the work an interrupt cancels and waits for before cleaning up.
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        state.work.withLock { $0 = (stop: { task.cancel() }, ended: Task { _ = await task.result }) }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        // Work an interrupt stopped ends in the handler's exit(130), never in this error.
        while state.interrupted.load(ordering: .sequentiallyConsistent) {
            try? await Task.sleep(for: .seconds(1))
        }
        return try result.get()
    }

    /// Restores the default handling.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

private final class InterruptState: Sendable {
    /// How to stop the running work, and a task that ends when it has.
    let work = Mutex<(stop: @Sendable () -> Void, ended: Task<Void, Never>)?>(nil)
    let interrupted = Atomic<Bool>(false)
}

/// What an interrupted command may remove of its output: only what it created. A destination that
/// existed with content beforehand is never touched; one that existed empty gets its contents removed.
struct OutputCleanup: Sendable {
    let path: String
    private let existed: Bool
    private let wasEmpty: Bool

    init(_ path: String) {
        self.path = path
        var isDirectory: ObjCBool = false
        existed = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        wasEmpty = existed && isDirectory.boolValue && ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? ["?"]).isEmpty
    }

    /// Removes what the command wrote (nothing when the destination had content before).
    func remove() {
        if !existed {
            try? FileManager.default.removeItem(atPath: path)
        } else if wasEmpty {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                try? FileManager.default.removeItem(atPath: path + "/" + name)
            }
        }
    }
}
