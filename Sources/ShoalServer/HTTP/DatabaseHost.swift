import Foundation
import Shoal
import Synchronization

/// The server's side of a ``DatabasePool``: each request runs under a lease with the operation
/// dispatcher of the database it leased (rebuilt when an online reshard swapped the database).
/// The pool owns the lifecycle; this type only maps it to requests.
public final class DatabaseHost: Sendable {
    public typealias Reopen = DatabasePool.Reopen

    public let pool: DatabasePool
    private let dispatcher: Mutex<OperationDispatcher>

    /// - Parameters:
    ///   - path: the data directory (nil: the database cannot be swapped, so no online reshard).
    ///   - onUnavailable: told when the directory could not be opened again after a reshard (the
    ///     `shoal` program exits; a library user decides for itself).
    public init(_ database: Database, path: String? = nil, durability: Durability = .sync, testReshardCrashAt: String? = nil,
                reopen: Reopen? = nil, onUnavailable: (@Sendable (ShoalError) -> Void)? = nil) {
        pool = DatabasePool(database, path: path, durability: durability, testReshardCrashAt: testReshardCrashAt,
                            reopen: reopen, onUnavailable: onUnavailable)
        dispatcher = Mutex(OperationDispatcher(database: database))
    }

    /// The database now (for work that is not a request, such as closing it at shutdown).
    public var current: Database { pool.current }

    /// The running reshard's progress (nil when none runs).
    public var reshardStatus: (done: Int, total: Int)? { pool.reshardStatus }

    /// Runs `body` with the current database and its dispatcher, waiting first while an exclusive
    /// operation runs.
    func withDatabase<T>(_ body: (Database, OperationDispatcher) async throws(ProtocolError) -> T) async throws(ProtocolError) -> T {
        let database: Database
        do { database = try await pool.lease() } catch { throw ProtocolError(error) }
        defer { pool.release() }
        return try await body(database, dispatcher(for: database))
    }

    /// As ``withDatabase(_:)`` for routes that answer in their own format: nil when the database
    /// cannot be served (its directory did not open again after a reshard).
    func whenAvailable<T>(_ body: (Database) async -> T) async -> T? {
        guard let database = try? await pool.lease() else { return nil }
        defer { pool.release() }
        return await body(database)
    }

    /// Runs `body` with the current database as a request does (waiting while a reshard runs).
    public func use<T>(_ body: (Database) async throws(ShoalError) -> T) async throws(ShoalError) -> T {
        try await pool.use(body)
    }

    /// Reshards the served directory online (see ``DatabasePool/reshard(to:)``).
    public func reshard(to shardCount: Int) async throws(ShoalError) -> ReshardReport {
        try await pool.reshard(to: shardCount)
    }

    private func dispatcher(for database: Database) -> OperationDispatcher {
        dispatcher.withLock { current in
            if current.database !== database { current = OperationDispatcher(database: database) }
            return current
        }
    }
}
