import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Shoal
import ShoalServer
import Synchronization

/// `shoal serve` with an in-process trigger, for the crash harness (tools/compat/test_crash_harness.py):
/// the function `inprocess` is a Swift closure, as a service embedding Shoal registers one, and it
/// appends every record it receives to `--deliveries` (flushed to disk before it returns), so the
/// harness can check what reached it across `kill -9`.
@main
struct CrashServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shoal-crash-server",
                                                    abstract: "shoal serve with an in-process trigger, for crash tests.")

    @Argument(help: "Ignored: the harness's command line starts with `serve`.")
    var command: String = "serve"

    @Option var data: String
    @Option var port: Int
    @Option var durability: String = "sync"
    @Option var ttlPeriod: Double = 2
    @Option var triggers: String?
    @Option(help: "File the in-process function appends `sequence-number key value` lines to (default: beside the data directory).")
    var deliveries: String?

    func run() async throws {
        let logger = Logger(label: "shoal-crash-server")
        var options = DatabaseOptions(shardCount: 4, durability: durability == "sync" ? .sync : .noSync)
        options.timeToLivePeriod = .milliseconds(Int64(ttlPeriod * 1000))
        options.logger = logger
        let database = try Database.open(at: data, options: options)
        TriggerHost.prepare(database)
        let log = try DeliveryLog(path: deliveries ?? URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("inprocess.log").path)
        database.registerFunction("inprocess", timeout: .seconds(10)) { batch in
            try log.append(batch.records)
            return .success
        }
        var services: [any Service] = []
        if let triggers {
            services = try await TriggerHost.install(try TriggersFile.load(path: triggers), database: database, region: "us-east-1", logger: logger)
        }
        let app = ShoalHTTPServer.application(database: database, configuration: ServerConfiguration(host: "127.0.0.1", port: port),
                                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await database.shutdown()
    }
}

/// The in-process function's record of what it received: one line per record, written and
/// flushed to disk before the function returns (a line cut by `kill -9` is the last one).
final class DeliveryLog: Sendable {
    private let file: Mutex<FileHandle>

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        file = Mutex(handle)
    }

    func append(_ records: [StreamRecord]) throws {
        var text = ""
        for record in records {
            guard case .s(let key)? = record.keys["pk"] else { continue }
            var value = "-"
            if case .n(let number)? = record.newImage?["v"] { value = number.description }
            text += "\(record.sequenceNumber) \(key) \(value)\n"
        }
        try file.withLock { handle in
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        }
    }
}
