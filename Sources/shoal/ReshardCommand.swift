import ArgumentParser
import Foundation
import Shoal
import ShoalServer

struct ReshardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reshard",
        abstract: "Change the number of shards of a data directory (through its server when one holds it).",
        discussion: """
            Moves only the items whose owner on the consistent-hash ring changes, with their index and \
            time-to-live entries; change streams continue with DynamoDB Streams' shard lineage. When \
            `shoal serve` holds the directory, the server does it online: growing, it copies the moving \
            items while it serves and holds requests only to finish; shrinking, it holds them for the \
            whole reshard. Killed at any point (this command or the server), \
            it is safe: run it again to finish, or with --roll-back to undo a reshard that has not \
            reached its commit point. A server refuses a directory with an unfinished reshard.
            """)

    @Option(help: "Data directory.")
    var data = "./shoal-data"

    @Option(help: "The new number of shards (1-999).")
    var shards: Int?

    @Flag(name: .customLong("roll-back"), help: "Undo an interrupted reshard instead of finishing it.")
    var rollBack = false

    @Option(help: "sync or nosync, as for serve.")
    var durability: DurabilityOption = .sync

    func run() async throws {
        guard rollBack || shards != nil else { throw ValidationError("give --shards N, or --roll-back") }
        let bar = ProgressBar("reshard", unit: .items)
        // Ctrl-C or a kill leaves a state the next run finishes or rolls back; nothing else to clean.
        let interrupt = InterruptHandler {
            FileHandle.standardError.write(Data("run `shoal reshard` again to finish, or with --roll-back to undo\n".utf8))
        }
        defer { interrupt.cancel() }
        let outcome: Result<ReshardReport, ShoalError>
        do {
            // Crash-recovery tests only: `copy:N` or `cleanup:N` dies after N writer units of that phase.
            let crashAt = ProcessInfo.processInfo.environment["SHOAL_TEST_RESHARD_CRASH_AT"]
            outcome = .success(try await Reshard.run(at: data, shardCount: shards ?? 0, rollBack: rollBack,
                                                     durability: durability == .sync ? .sync : .noSync,
                                                     testCrashAt: crashAt) { done, total in
                bar.update(done: done, total: total)
            })
        } catch {
            outcome = .failure(error)
        }
        if case .failure(let error) = outcome, error.message.contains("in use by another process") {
            if rollBack { throw ValidationError("\(error.message): a directory a server holds has no interrupted reshard to roll back") }
            guard let server = runningServer(of: data), let shards else {
                throw ValidationError("\(error.message): no server address found in it, so the reshard cannot run there; stop that process first")
            }
            FileHandle.standardError.write(Data("reshard: \(data) is served by \(server); asking it to reshard online (requests wait while it finishes)\n".utf8))
            let polling = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if let progress = try? await AdminClient.reshardProgress(endpoint: server), progress.total > 0 {
                        bar.update(done: progress.done, total: progress.total)
                    }
                }
            }
            defer { polling.cancel() }
            let answer = try await AdminClient.reshardDataDirectory(endpoint: server, shardCount: shards)
            bar.finish(done: answer.items)
            print(ReshardCommand.summary("resharded", from: answer.from, to: answer.to, moved: answer.moved, items: answer.items, seconds: answer.seconds)
                  + String(format: "; requests held for %.2f s", answer.pausedSeconds))
            return
        }
        if case .failure(let error) = outcome, let pending = Reshard.interrupted(at: data) {
            throw ValidationError("\(error); run `shoal reshard --data \(data) --shards \(pending.to)` to finish it"
                                  + (pending.canRollBack ? ", or with --roll-back to undo it" : ""))
        }
        let report = try outcome.get()
        bar.finish(done: report.items)
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        print(ReshardCommand.summary(report.rolledBack ? "rolled back to" : "resharded", from: report.from, to: report.to,
                                     moved: report.moved, items: report.items, seconds: seconds))
    }

    static func summary(_ verb: String, from: Int, to: Int, moved: Int, items: Int, seconds: Double) -> String {
        let fraction = items == 0 ? 0 : Double(moved) / Double(items)
        let ideal = Double(abs(to - from)) / Double(max(to, from))
        return "\(verb) \(from) → \(to) shards: \(moved) of \(items) items moved "
            + "(\(String(format: "%.1f", fraction * 100)) %, ideal \(String(format: "%.1f", ideal * 100)) %) in \(String(format: "%.2f", seconds)) s"
    }
}
