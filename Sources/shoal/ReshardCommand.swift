import ArgumentParser
import Foundation
import Shoal

struct ReshardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reshard",
        abstract: "Change the number of shards of a data directory (offline: stop the server first).",
        discussion: """
            Moves only the items whose owner on the consistent-hash ring changes, with their index and \
            time-to-live entries. Killed at any point, it is safe: run it again to finish, or with \
            --roll-back to undo a reshard that has not reached its commit point. A server refuses a \
            directory with an unfinished reshard. Directories with change streams are refused for now.
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
            throw ValidationError("\(error.message): resharding is offline; stop the server first")
        }
        let report = try outcome.get()
        bar.finish(done: report.items)
        let verb = report.rolledBack ? "rolled back to" : "resharded"
        print("\(verb) \(report.from) → \(report.to) shards: \(report.moved) of \(report.items) items moved "
              + "(\(String(format: "%.1f", report.movedFraction * 100)) %, ideal \(String(format: "%.1f", report.idealFraction * 100)) %) "
              + "in \(String(format: "%.2f", Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18)) s")
    }
}
