import Foundation
import Logging
import ServiceLifecycle
import Shoal
import ShoalServer
import Synchronization

/// A Shoal server for a test: an in-memory database served on a free loopback port in this
/// process, for code under test that talks DynamoDB's protocol (an AWS SDK pointed at
/// `endpoint`), while the test reads and writes the same data through `database`.
public struct ShoalTestServer: Sendable {
    /// `http://127.0.0.1:PORT`.
    public let endpoint: String
    public let port: Int
    /// The database's lifecycle: snapshots, rollback and reset (see ``DatabaseLifecycle``).
    public let lifecycle: DatabaseLifecycle

    /// The database now. A rollback or reset opens it again: read this after one, do not keep it.
    public var database: Database { lifecycle.current }

    /// Takes the snapshot `name` of the whole database (see ``DatabaseLifecycle/createSnapshot(named:)``).
    public func snapshot(_ name: String) async throws {
        try await lifecycle.createSnapshot(named: name)
    }

    /// Rolls the whole database back to the snapshot `name`, which stays for the next rollback.
    public func rollBack(to name: String) async throws {
        try await lifecycle.restoreSnapshot(named: name)
    }

    /// Empties the database.
    public func reset() async throws {
        try await lifecycle.resetDatabase()
    }

    /// Moves the manual clock (pass `DatabaseOptions.clock = ShoalClock(.manual)`) forward; what
    /// came due (expiries, trims, trigger windows) has run when it returns.
    @discardableResult
    public func advanceClock(by seconds: Double) async throws -> Date {
        try await database.advanceClock(by: seconds)
    }
}

/// Runs `body` with a Shoal server on a free loopback port over a new in-memory database, then
/// stops the server and removes the database, whatever `body` does:
///
/// ```swift
/// try await withShoalServer { server in
///     // point an AWS SDK at server.endpoint; check through server.database
/// }
/// ```
/// - Parameters:
///   - options: the database's options (durability is always `nosync`).
///   - configuration: changes to the server's configuration (its host and port are set here).
public func withShoalServer<T: Sendable>(options: DatabaseOptions = DatabaseOptions(shardCount: 2),
                                         configuration change: (inout ServerConfiguration) -> Void = { _ in },
                                         _ body: (ShoalTestServer) async throws -> T) async throws -> T {
    let database = try Database.open(inMemory: options)
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, authentication: .none)
    change(&configuration)
    configuration.host = "127.0.0.1"
    configuration.port = 0
    var logger = Logger(label: "shoal.testing")
    logger.logLevel = .warning
    let listening = AsyncStream.makeStream(of: Int.self)
    let host = DatabaseHost(database, path: database.path, durability: .noSync, reopen: DatabaseLifecycle.sameDirectory)
    let app = ShoalHTTPServer.application(host: host, configuration: configuration, logger: logger) { port in
        listening.continuation.yield(port)
        listening.continuation.finish()
    }
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let running = Task { try await group.run() }
    // A server that stops before it listens (a bind failure) ends the wait for its port.
    let watcher = Task {
        _ = await running.result
        listening.continuation.finish()
    }
    defer { watcher.cancel() }
    var ports = listening.stream.makeAsyncIterator()
    guard let port = await ports.next() else {
        running.cancel()
        await database.shutdown()
        throw ShoalError.internalError("The test server did not start: \(String(describing: await running.result))")
    }
    let server = ShoalTestServer(endpoint: "http://127.0.0.1:\(port)", port: port, lifecycle: host.lifecycle)
    let result: Result<T, any Error>
    do {
        result = .success(try await body(server))
    } catch {
        result = .failure(error)
    }
    await group.triggerGracefulShutdown()
    _ = await running.result
    await host.current.shutdown()
    return try result.get()
}
