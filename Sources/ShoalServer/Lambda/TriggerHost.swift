import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Shoal

/// Sets up a server's triggers: the functions of a triggers file (webhooks, and a Lambda Runtime
/// API endpoint per runtime function) and its mappings, created or brought up to date.
public enum TriggerHost {
    /// Installs the on-failure webhook sender every server has.
    public static func prepare(_ database: Database) {
        database.setFailureWebhookSender { url, body in
            _ = try await WebhookFunction.post(Array(body), to: url, timeout: .seconds(30), client: WebhookFunction.client)
        }
    }

    /// Registers the file's functions and creates or updates its mappings (matched to stored ones by
    /// function and source, so a restart with the same file continues where it was).
    /// - Returns: the Runtime API servers to run, one per runtime function.
    /// - Parameter allowedHosts: host names the Runtime API ports answer besides IP addresses and
    ///   `localhost` (the server's `--allowed-hosts`).
    /// - Parameter headerTimeout, bodyTimeout: the Runtime API ports' deadlines for a request's
    ///   headers and body (the server's own).
    public static func install(_ file: TriggersFile, database: Database, region: String, allowedHosts: [String] = [],
                               headerTimeout: Duration = ServerConfiguration().headerTimeout,
                               bodyTimeout: Duration = ServerConfiguration().bodyTimeout,
                               logger: Logger) async throws -> [any Service] {
        var services: [any Service] = []
        for function in file.functions {
            let timeout = Duration.seconds(function.timeout)
            switch function.kind {
            case .webhook(let url):
                database.registerFunction(function.name, timeout: timeout, WebhookFunction(url: url, timeout: timeout, region: region))
            case .runtimeAPI(let host, let port):
                let runtime = RuntimeAPIFunction(name: function.name, timeout: timeout, region: region)
                database.registerFunction(function.name, timeout: timeout, runtime)
                services.append(RuntimeAPIService(function: runtime,
                                                  application: RuntimeAPIServer.application(function: runtime, host: host, port: port,
                                                                                            allowedHosts: allowedHosts, headerTimeout: headerTimeout,
                                                                                            bodyTimeout: bodyTimeout, logger: logger)))
                logger.info("Lambda Runtime API of \(function.name) on \(host):\(port) (AWS_LAMBDA_RUNTIME_API=\(host):\(port))")
                if !isLoopbackAddress(host) {
                    logger.warning("The Lambda Runtime API of \(function.name) listens on \(host):\(port), beyond loopback, without authentication: anyone who can reach that address can read the function's events (the table's item data) and answer them")
                }
            }
        }
        let stored = try database.listEventSourceMappings(maxItems: 10_000).eventSourceMappings
        for mapping in file.mappings {
            let existing = stored.first { configuration in
                configuration.functionName == mapping.functionName
                    && (mapping.table.map { configuration.tableName == $0 } ?? (configuration.eventSourceArn == mapping.eventSourceArn && configuration.tableName == nil))
            }
            if let existing {
                _ = try await database.updateEventSourceMapping(uuid: existing.uuid, parameters: mapping.parameters.completed)
            } else {
                _ = try await database.createEventSourceMapping(CreateEventSourceMappingRequest(
                    functionName: mapping.functionName, eventSourceArn: mapping.eventSourceArn, tableName: mapping.table,
                    startingPosition: mapping.startingPosition, parameters: mapping.parameters))
            }
        }
        return services
    }
}

extension EventSourceMappingParameters {
    /// Every parameter set: the given ones, Lambda's defaults for the rest (a file states a mapping whole).
    var completed: EventSourceMappingParameters {
        EventSourceMappingParameters(
            batchSize: batchSize ?? 100, maximumBatchingWindowInSeconds: maximumBatchingWindowInSeconds ?? 0,
            maximumRetryAttempts: maximumRetryAttempts ?? -1, maximumRecordAgeInSeconds: maximumRecordAgeInSeconds ?? -1,
            bisectBatchOnFunctionError: bisectBatchOnFunctionError ?? false, functionResponseTypes: functionResponseTypes ?? [],
            parallelizationFactor: parallelizationFactor ?? 1, tumblingWindowInSeconds: tumblingWindowInSeconds ?? 0,
            filterCriteria: filterCriteria ?? FilterCriteria(patterns: []), onFailureDestination: onFailureDestination ?? "",
            enabled: enabled ?? true)
    }
}

/// A function's Runtime API server as a service: on shutdown, clients waiting for an invocation
/// are let go first, so the server can stop.
struct RuntimeAPIService<App: ApplicationProtocol>: Service {
    let function: RuntimeAPIFunction
    let application: App

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await application.run()
        } onGracefulShutdown: {
            function.releasePollers()
        }
    }
}
