import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Shoal
import ShoalServer

@main
struct ShoalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "An embedded, DynamoDB-compatible store on LMDB.",
        subcommands: [Serve.self, Stats.self, Triggers.self, Backup.self, Restore.self, Export.self, Import.self, ReshardCommand.self,
                      PartiQLCommand.self],
        defaultSubcommand: Serve.self)
}

enum DurabilityOption: String, ExpressibleByArgument, CaseIterable {
    case sync, nosync
}

enum ConsoleOption: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

enum AuthOption: String, ExpressibleByArgument, CaseIterable {
    case none, sigv4
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve DynamoDB's HTTP JSON protocol (boto3, the AWS CLI and the AWS SDKs work unchanged).")

    @Option(help: "Data directory (created on first run; default ./shoal-data).")
    var data: String?

    @Flag(help: "Serve a new, empty database from a temporary folder in memory (/dev/shm where there is one), without syncing, removed on exit: for tests.")
    var inMemory = false

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8000

    @Option(help: "Shards of a new data directory (an existing one keeps its own).")
    var shards = 4

    @Option(help: "sync: a write returns once on disk; nosync: faster, a machine crash may lose the latest writes.")
    var durability: DurabilityOption = .sync

    @Option(help: "Seconds change-stream records stay readable before they are trimmed (DynamoDB Streams: 86400).")
    var streamRetention: Double = 86_400

    @Option(help: "Seconds between the time-to-live expirer's passes (items whose TTL attribute is in the past are deleted).")
    var ttlPeriod: Double = 2

    @Option(help: "none: accept any credentials; sigv4: verify AWS Signature Version 4 against --credentials.")
    var auth: AuthOption = .none

    @Option(help: "AWS shared-credentials style file of access keys (with --auth sigv4).")
    var credentials: String?

    @Option(help: "With --auth none: web origins allowed to call the server, comma-separated, or '*' (default: none, CORS off).")
    var corsOrigins: String?

    @Option(help: "With --auth none: host names clients may use besides IP addresses and localhost, comma-separated (e.g. a container's service name).")
    var allowedHosts: String?

    @Option(help: "With --auth sigv4: regions a signature's credential scope may name, comma-separated (default: any).")
    var regions: String?

    @Option(help: "How GET /metrics is protected: none, or sigv4 (default: sigv4 under --auth sigv4, else none).")
    var metricsAuth: MetricsAuthentication?

    @Option(help: "URL prefixes that webhook and on-failure URLs given through Lambda's API must start with, comma-separated (default: none is accepted; a triggers file is not limited).")
    var allowedDestinations: String?

    @Option(help: "Folder that BackupDataDirectory (shoal backup through this server) may write into (default: backups/ beside the data directory).")
    var backupRoot: String?

    @Option(help: "Folder that stands for S3 in ExportTableToPointInTime and ImportTable: s3://bucket/prefix is DIR/bucket/prefix (default: s3/ beside the data directory).")
    var s3Root: String?

    @Option(help: "Most connections served at once; more are closed at once (default 1024).")
    var maxConnections = 1024

    @Option(help: "Triggers file (YAML or JSON): functions (Webhook or RuntimeApi) and event source mappings, with Lambda's names.")
    var triggers: String?

    @Option(help: "system: the computer's clock; manual: a clock that stands still until SetClock or AdvanceClock moves it (TTL, stream retention, record age, windows and back-off follow it): for tests.")
    var clock: ShoalClock.Mode = .system

    @Flag(name: .customLong("enforce-capacity"), help: "Throttle provisioned tables and global indexes by their read and write capacity units (token buckets with 300 s of burst), as DynamoDB does: ProvisionedThroughputExceededException with ThrottlingReasons.")
    var enforceCapacity = false

    @Option(help: "on: serve the web console at /console/ on this port (default); off: do not.")
    var console: ConsoleOption = .on

    @Option(name: .customLong("base-path"), help: "The path prefix a reverse proxy serves this server under, e.g. /shoal: the console is then at /shoal/console/.")
    var basePath: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if inMemory && data != nil { throw ValidationError("--in-memory and --data exclude each other") }
        if auth == .sigv4 && credentials == nil {
            throw ValidationError("--auth sigv4 needs --credentials FILE")
        }
        guard (1...65535).contains(port) || port == 0 else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
        // Ten years at most: the milliseconds must fit the engine's durations.
        guard streamRetention > 0, streamRetention.isFinite, streamRetention <= 315_360_000 else {
            throw ValidationError("--stream-retention must be a number of seconds between 0 and 315360000")
        }
        guard ttlPeriod > 0, ttlPeriod.isFinite, ttlPeriod <= 86_400 else {
            throw ValidationError("--ttl-period must be a number of seconds between 0 and 86400")
        }
        if let basePath, ConsoleSettings.normalizedBasePath(basePath) == nil {
            throw ValidationError("--base-path takes a URL path such as /shoal (letters, digits, - . _ ~ between slashes), got \(basePath)")
        }
        if metricsAuth == .sigv4 && auth != .sigv4 {
            throw ValidationError("--metrics-auth sigv4 needs --auth sigv4")
        }
        for prefix in Serve.list(allowedDestinations) where !(prefix.hasPrefix("http://") || prefix.hasPrefix("https://")) || URL(string: prefix)?.host == nil {
            throw ValidationError("--allowed-destinations takes http(s) URL prefixes with a host, e.g. http://127.0.0.1:9000/hooks/ (got \(prefix))")
        }
    }

    static func list(_ text: String?) -> [String] {
        text?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
    }

    /// Where admin backups may go by default: a `backups` folder beside the data directory.
    static func defaultBackupRoot(data: String) -> String {
        URL(fileURLWithPath: data).standardizedFileURL.deletingLastPathComponent().appendingPathComponent("backups").path
    }

    func run() async throws {
        var logger = Logger(label: "shoal")
        logger.logLevel = logLevel
        let authentication: ServerConfiguration.Authentication
        var principals: [String: String] = [:]
        if auth == .sigv4, let credentials {
            let keys = try ServerConfiguration.loadCredentials(path: credentials)
            guard !keys.isEmpty else { throw ValidationError("no access keys found in \(credentials)") }
            authentication = .sigV4(credentials: keys)
            principals = try ServerConfiguration.loadPrincipals(path: credentials)
        } else {
            authentication = .none
        }
        var options = DatabaseOptions(shardCount: shards, durability: durability == .sync ? .sync : .noSync)
        if inMemory { options.durability = .noSync }
        options.streamRetention = .milliseconds(Int64(streamRetention * 1000))
        options.timeToLivePeriod = .milliseconds(Int64(ttlPeriod * 1000))
        options.clock = ShoalClock(clock)
        options.enforceCapacity = enforceCapacity
        // Crash-recovery tests only: die at one step of committing a transaction spanning shards.
        options.testCrashPoint = ProcessInfo.processInfo.environment["SHOAL_TEST_CRASH_AT"]
        let triggersFile = try triggers.map { path in
            do { return try TriggersFile.load(path: path) } catch { throw ValidationError("\(error)") }
        }
        let metrics = ServerMetrics(history: console == .on)
        options.metricsFactory = metrics.factory
        options.logger = logger
        let database: Database
        var data = self.data ?? "./shoal-data"
        do {
            if inMemory {
                database = try Database.open(inMemory: options)
                data = database.path
            } else {
                database = try Database.open(at: data, options: options)
            }
        } catch let error as ShoalError {
            // The engine names the state; the commands that settle it are this program's.
            if let pending = Reshard.interrupted(at: data) {
                throw ValidationError("\(error); run `shoal reshard --data \(data) --shards \(pending.to)` to finish it"
                                      + (pending.canRollBack ? ", or with --roll-back to undo it" : ""))
            }
            throw error
        }
        TriggerHost.prepare(database)
        // The header and body deadlines of every port (tests only: shorter ones).
        var headerTimeout = ServerConfiguration().headerTimeout
        var bodyTimeout = ServerConfiguration().bodyTimeout
        if let seconds = ProcessInfo.processInfo.environment["SHOAL_TEST_HEADER_TIMEOUT"].flatMap(Int.init) {
            headerTimeout = .seconds(seconds)
        }
        if let seconds = ProcessInfo.processInfo.environment["SHOAL_TEST_BODY_TIMEOUT"].flatMap(Int.init) {
            bodyTimeout = .seconds(seconds)
        }
        var services: [any Service] = []
        if let triggersFile {
            do {
                services = try await TriggerHost.install(triggersFile, database: database, region: "us-east-1",
                                                         allowedHosts: Serve.list(allowedHosts), headerTimeout: headerTimeout,
                                                         bodyTimeout: bodyTimeout, logger: logger)
            } catch {
                await database.stopTriggers()
                database.close()
                throw ValidationError("\(triggers ?? ""): \(error)")
            }
        }
        if console == .on {
            let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
            logger.info("Web console: http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)\(ConsoleSettings.normalizedBasePath(basePath ?? "") ?? "")/console/")
        }
        logger.info("Shoal serving \(data)\(inMemory ? " (in memory, removed on exit)" : "") on http://\(host):\(port) (\(database.shardCount) shards, \(inMemory ? "nosync" : durability.rawValue), auth \(auth.rawValue)\(clock == .manual ? ", manual clock" : ""))")
        var configuration = ServerConfiguration(host: host, port: port, authentication: authentication)
        configuration.allowedHosts = Serve.list(allowedHosts)
        configuration.principals = principals
        configuration.corsOrigins = corsOrigins.map { Serve.list($0) }
        configuration.regions = regions.map { Serve.list($0) }
        configuration.metricsAuthentication = metricsAuth
        configuration.allowedDestinations = Serve.list(allowedDestinations)
        configuration.backupRoot = backupRoot ?? Serve.defaultBackupRoot(data: data)
        configuration.maxConnections = maxConnections
        configuration.console = ConsoleSettings(enabled: console == .on, basePath: basePath.flatMap(ConsoleSettings.normalizedBasePath) ?? "")
        configuration.headerTimeout = headerTimeout
        configuration.bodyTimeout = bodyTimeout
        if auth == .none && !isLoopbackAddress(host) {
            logger.warning("Listening on \(host):\(port) with --auth none: anyone who can reach this address can read, write and delete every table, read the change streams and manage the triggers. Use --auth sigv4 --credentials FILE, or --host 127.0.0.1")
        }
        // Where `shoal backup` finds this server while it holds the directory.
        let endpointFile = data + "/" + AdminClient.endpointFile
        let reachable = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        // The second line tells `shoal backup` where this server may write backups.
        try? Data("http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)\nbackup-root \(configuration.backupRoot ?? "")\n".utf8)
            .write(to: URL(fileURLWithPath: endpointFile))
        defer { try? FileManager.default.removeItem(atPath: endpointFile) }
        // `shoal reshard` asks this server to reshard online: it closes the database, reshards the
        // directory and opens it again with the same options and functions.
        let path = data
        let host = DatabaseHost(database, path: data, durability: options.durability,
                                testReshardCrashAt: ProcessInfo.processInfo.environment["SHOAL_TEST_RESHARD_CRASH_AT"]) { [logger] closed in
            let reopened = try await DatabaseLifecycle.sameDirectory(closed)
            logger.info("Shoal serving \(path) with \(reopened.shardCount) shards")
            return reopened
        } onUnavailable: { error in
            // Nothing can be served from a directory that does not open: say why and stop.
            FileHandle.standardError.write(Data("shoal: \(error.message)\n".utf8))
            Foundation.exit(70)
        }
        host.transfers.s3Root = s3Root.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? URL(fileURLWithPath: data).standardizedFileURL.deletingLastPathComponent().appendingPathComponent("s3").path
        await host.transfers.resume()
        let app = ShoalHTTPServer.application(host: host, configuration: configuration, logger: logger, metrics: metrics)
        let group = ServiceGroup(configuration: .init(services: [app] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        // In-flight requests have finished; stop the export and import jobs (they run again on the
        // next start) and the triggers, flush and close the environments.
        await host.transfers.shutdown()
        await host.current.shutdown()
        logger.info("Shoal stopped")
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tables of a data directory with their item counts and sizes.")

    @Option(help: "Data directory.")
    var data = "./shoal-data"

    func run() async throws {
        let database = try Database.open(at: data, options: DatabaseOptions(readOnly: true))
        defer { database.close() }
        print("shards: \(database.shardCount)")
        for name in try database.listTables().tableNames {
            let table = try database.describeTable(name).table
            print("\(name)\titems: \(table.itemCount)\tbytes: \(table.tableSizeBytes)")
        }
        for shard in try database.storageStatistics() {
            let percent = shard.mapSize > 0 ? Double(shard.mapUsed) * 100 / Double(shard.mapSize) : 0
            print("shard \(shard.shard)\tmap: \(shard.mapUsed) of \(shard.mapSize) bytes (\(String(format: "%.1f", percent)) %)"
                  + "\titems: \(shard.tables.reduce(0) { $0 + $1.items })\tstream records: \(shard.streamRecords)")
        }
    }
}

struct Triggers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the event source mappings (triggers) with their state, position and lag.",
        discussion: "Reads a data directory (read-only, beside a running server) or asks a running server (--endpoint).")

    @Option(help: "Data directory.")
    var data = "./shoal-data"

    @Option(help: "A running server, e.g. http://127.0.0.1:8000 (instead of --data).")
    var endpoint: String?

    func run() async throws {
        let mappings: [[String: Any]]
        if let endpoint {
            mappings = try await TriggerListing.fetch(endpoint: endpoint)
        } else {
            let database = try Database.open(at: data, options: DatabaseOptions(readOnly: true))
            defer { database.close() }
            mappings = try database.listEventSourceMappings(maxItems: 10_000).eventSourceMappings.map(TriggerListing.row)
        }
        print(TriggerListing.render(mappings))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension MetricsAuthentication: ExpressibleByArgument {}
extension ShoalClock.Mode: ExpressibleByArgument {}
