import Foundation
import Shoal
import Synchronization

/// The server's side of a ``DatabaseLifecycle``: each request runs under a lease with the operation
/// dispatcher of the database it leased (rebuilt when an online reshard swapped the database).
/// It owns the lifecycle; this type only maps it to requests.
public final class DatabaseHost: Sendable {
    public typealias Reopen = DatabaseLifecycle.Reopen

    public let lifecycle: DatabaseLifecycle
    private let dispatcher: Mutex<OperationDispatcher>
    /// The export and import jobs (ExportTableToPointInTime, ImportTable), recorded in
    /// `DIR/transfer-jobs/`; give them an S3 root and ``TransferJobs/resume()`` them to run.
    public let transfers: TransferJobs

    /// - Parameters:
    ///   - path: the data directory (nil: the database cannot be swapped, so no online reshard).
    ///   - onUnavailable: told when the directory could not be opened again after a reshard (the
    ///     `shoal` program exits; a library user decides for itself).
    public init(_ database: Database, path: String? = nil, durability: Durability = .sync, testReshardCrashAt: String? = nil,
                reopen: Reopen? = nil, onUnavailable: (@Sendable (ShoalError) -> Void)? = nil) {
        lifecycle = DatabaseLifecycle(database, path: path, durability: durability, testReshardCrashAt: testReshardCrashAt,
                            reopen: reopen, onUnavailable: onUnavailable)
        let transfers = TransferJobs(directory: (path ?? database.path) + "/transfer-jobs", lifecycle: lifecycle)
        self.transfers = transfers
        dispatcher = Mutex(OperationDispatcher(database: database, jobs: transfers))
    }

    /// The database now (for work that is not a request, such as closing it at shutdown).
    public var current: Database { lifecycle.current }

    /// The running reshard's progress (nil when none runs).
    public var reshardStatus: (done: Int, total: Int)? { lifecycle.reshardStatus }

    /// Runs `body` with the current database and its dispatcher, waiting first while an exclusive
    /// operation runs.
    func withDatabase<T>(_ body: (Database, OperationDispatcher) async throws(ProtocolError) -> T) async throws(ProtocolError) -> T {
        let database: Database
        do { database = try await lifecycle.lease() } catch { throw ProtocolError(error) }
        defer { lifecycle.release() }
        return try await body(database, dispatcher(for: database))
    }

    /// As ``withDatabase(_:)`` for routes that answer in their own format: nil when the database
    /// cannot be served (its directory did not open again after a reshard).
    func whenAvailable<T>(_ body: (Database) async -> T) async -> T? {
        guard let database = try? await lifecycle.lease() else { return nil }
        defer { lifecycle.release() }
        return await body(database)
    }

    /// Runs `body` with the current database as a request does (waiting while a reshard runs).
    public func use<T>(_ body: (Database) async throws(ShoalError) -> T) async throws(ShoalError) -> T {
        try await lifecycle.use(body)
    }

    /// Reshards the served directory online (see ``DatabaseLifecycle/reshard(to:)``).
    public func reshard(to shardCount: Int) async throws(ShoalError) -> ReshardReport {
        try await lifecycle.reshard(to: shardCount)
    }

    private func dispatcher(for database: Database) -> OperationDispatcher {
        dispatcher.withLock { current in
            if current.database !== database { current = OperationDispatcher(database: database, jobs: transfers) }
            return current
        }
    }
}
