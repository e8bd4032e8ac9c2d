import Foundation
import LMDB

/// A reshard under way, kept in the catalog until it is finished or rolled back.
struct ReshardState: Codable, Equatable, Sendable {
    enum Phase: String, Codable, Sendable {
        /// Items whose owner changes are being copied to their new shards; the old ring still
        /// rules, so a rollback deletes the copies.
        case copy
        /// The new ring rules (the commit point passed); the old copies are being deleted.
        case cleanup
    }

    var from: Int
    var to: Int
    var phase: Phase
    /// The new shards were filled while a server wrote (see ``ReshardPreCopy``): a copy phase
    /// resumed after a crash starts them afresh.
    var online: Bool?
}

/// What a reshard did.
public struct ReshardReport: Sendable {
    public var from: Int
    public var to: Int
    /// Items in the directory, and those that changed shard.
    public var items: Int
    public var moved: Int
    /// `moved / items`, and the least any scheme could move: `|to − from| / max(to, from)`.
    public var movedFraction: Double { items == 0 ? 0 : Double(moved) / Double(items) }
    public var idealFraction: Double { Double(abs(to - from)) / Double(max(to, from)) }
    public var duration: Duration
    /// Online: how long requests were held (the rest of `duration` ran while they were served).
    public var paused: Duration?
    /// Online, growing: the items copied into the new shards while requests were served.
    public var copiedWhileServing = 0
    /// True when an interrupted reshard was rolled back instead.
    public var rolledBack: Bool
}

/// Changes the number of shards of a data directory, offline (no process may hold it).
///
/// The consistent-hash ring keeps every existing point when shards are added, so only the keys
/// that fall to new points change owner (and, removing shards, only the removed shards' keys).
/// Crash safety comes from one commit point in the catalog:
///
/// 1. *copy*: each item whose owner changes is written into its new shard through the write path
///    (its index entries and expiry entry with it, no stream record). The old ring still rules:
///    a crash here resumes by copying again (rewriting a copied item changes nothing), or rolls
///    back by deleting, in every shard, the items the old ring does not place there.
/// 2. The catalog records the new shard count and the *cleanup* phase in one commit.
/// 3. *cleanup*: each shard deletes the items the new ring does not place there; removed shards'
///    folders go. A crash here resumes the cleanup.
///
/// Change streams get shard lineage at the commit point (see ``StreamLineage``): every stream
/// shard closes at its storage shard's last counter and a new generation opens, one shard per
/// new storage shard, each naming as parent the old shard it takes the most keys from. A new
/// storage shard's counters start above every counter in use, and a removed one's records move
/// to shard 0 before its folder goes, so sequence numbers stay unique and nothing retained is lost.
public enum Reshard {
    /// Items per writer unit.
    static let batch = 512

    /// The reshard a directory holds unfinished, if any: its shard counts, and whether it can still
    /// be rolled back (it has not reached its commit point).
    public static func interrupted(at path: String) -> (from: Int, to: Int, canRollBack: Bool)? {
        guard let state = try? ReshardDirectory.pendingState(path) else { return nil }
        return (state.from, state.to, state.phase == .copy)
    }

    /// Refuses, before anything closes, a reshard of an open database that ``run`` would refuse:
    /// a shard count out of range or unchanged, an index being built or deleted, a table being
    /// prepared (time to live being enabled, or restored).
    public static func checkReady(_ database: Database, shardCount target: Int) throws(ShoalError) {
        guard (1...999).contains(target) else { throw .validation("The shard count must be between 1 and 999") }
        guard target != database.shardCount else { throw .validation("The data directory already has \(target) shards") }
        do {
            try ReshardDirectory.checkReady(database)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    /// Reshards `path` to `shardCount` shards, or finishes (or, with `rollBack`, undoes) an
    /// interrupted reshard. `progress` gets items examined and the total.
    /// `testCrashAt`: testing only, `copy:N` or `cleanup:N`: the process kills itself (SIGKILL)
    /// after N writer units of that phase, so that crash recovery can be tested at any point
    /// (`fail-copy:N`, `fail-cleanup:N`: the reshard throws there instead).
    public static func run(at path: String, shardCount target: Int, rollBack: Bool = false, durability: Durability = .sync,
                           testCrashAt: String? = nil, precopy: ReshardPreCopy? = nil,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(ShoalError) -> ReshardReport {
        guard (1...999).contains(target) || rollBack else { throw .validation("The shard count must be between 1 and 999") }
        let started = ContinuousClock.now
        do {
            // Settle the directory first: redo committed transactions, finish open-time repairs.
            if try ReshardDirectory.pendingState(path) == nil {
                var options = DatabaseOptions(durability: durability)
                options.startsBackgroundWork = false
                let database = try Database.open(at: path, options: options)
                defer { database.close() }
                try ReshardDirectory.checkReady(database)
            }
            let directory = try ReshardDirectory(path: path, durability: durability)
            defer { directory.close() }
            if let parts = testCrashAt?.split(separator: ":"), parts.count == 2, let units = Int(parts[1]) {
                let failing = parts[0].hasPrefix("fail-")
                if let phase = ReshardState.Phase(rawValue: String(parts[0].dropFirst(failing ? 5 : 0))) {
                    directory.crashAt = (phase, units, failing)
                }
            }
            var report = try await directory.run(target: target, rollBack: rollBack, precopy: precopy, progress: progress)
            report.duration = ContinuousClock.now - started
            return report
        } catch let error as ShoalError {
            throw error
        } catch {
            throw .internalError("Reshard of \(path) failed: \(error)")
        }
    }
}
