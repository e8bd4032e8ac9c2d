import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Shoal

/// Shoal over DynamoDB's HTTP JSON protocol, on Hummingbird 2.
///
/// `POST /` carries the operations; `GET /` answers `healthy: <host:port>` as DynamoDB's endpoint
/// does; `GET /metrics` is Prometheus' text format (see ``ServerMetrics``; signed under
/// `--metrics-auth sigv4`); `OPTIONS` answers CORS preflights where CORS is on. Every request
/// first passes the ``FrontDoor``: request-line and header limits, the DNS-rebinding check and
/// the CORS policy.
public enum ShoalHTTPServer {
    /// Builds the application (not yet running).
    /// `metrics`: where requests are counted and `GET /metrics` reads (give its factory to the
    /// database's options too, for the shard writers' figures).
    public static func application(database: Database, configuration: ServerConfiguration, logger: Logger,
                                   metrics: ServerMetrics = ServerMetrics()) -> some ApplicationProtocol {
        application(host: DatabaseHost(database), configuration: configuration, logger: logger, metrics: metrics)
    }

    /// Builds the application serving the host's database (which an online reshard may swap).
    /// `onListening`: told the port the server listens on once it does (port 0 picks a free one).
    public static func application(host: DatabaseHost, configuration: ServerConfiguration, logger: Logger,
                                   metrics: ServerMetrics = ServerMetrics(),
                                   onListening: (@Sendable (Int) async -> Void)? = nil) -> some ApplicationProtocol {
        let handler = DynamoDBRequestHandler(host: host, configuration: configuration, metrics: metrics)
        let router = Router()
        let metricsVerifier = configuration.metricsSigned ? configuration.verifier(service: "dynamodb") : nil
        router.get("/metrics") { request, _ in
            if let metricsVerifier {
                var signedHeaders = DynamoDBRequestHandler.lowercasedHeaders(request.headers)
                signedHeaders["host"] = request.head.authority
                do throws(ProtocolError) {
                    try metricsVerifier.verify(method: "GET", path: request.uri.path, query: request.uri.query ?? "", headers: signedHeaders, body: [])
                } catch {
                    return plainTextResponse(.forbidden, "\(error.type.split(separator: "#").last ?? ""): \(error.message)")
                }
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            guard let text = await host.whenAvailable({ database in metrics.render(database) }) else {
                return plainTextResponse(.serviceUnavailable, "The data directory could not be opened again after resharding")
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.post("/") { request, context in
            await handler.handle(request, logger: context.logger)
        }
        router.get("/") { request, _ in
            let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "healthy: \(host) ")))
        }
        router.on("/", method: .options) { _, _ in Response(status: .ok) }
        LambdaAPIHandler.register(on: router, host: host, configuration: configuration)
        var services: [any Service] = []
        if configuration.console.enabled {
            var sessions: ConsoleSessions?
            if case .sigV4(let credentials) = configuration.authentication {
                sessions = ConsoleSessions(credentials: credentials, principals: configuration.principals,
                                           lifetime: configuration.console.sessionLifetime)
            }
            ConsoleRoutes.register(on: router, settings: configuration.console)
            ConsoleAPI.register(on: router, host: host, configuration: configuration, handler: handler, metrics: metrics,
                                gate: ConsoleGate(sessions: sessions))
            if let history = metrics.history { services.append(ConsoleSampler(host: host, history: history, logger: logger)) }
        }
        let limiter = ConnectionLimiter(limit: configuration.maxConnections)
        var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        // Past DynamoDB's 16 KB the front door answers 400; far past it, the parser drops the connection.
        decoder.maxHeaderListSize = 64 * 1024
        decoder.maxHeaderFieldSize = 64 * 1024
        return Application(
            responder: FrontDoor(next: router.buildResponder(), policy: FrontDoorPolicy(configuration),
                                 privatePaths: ["/metrics"], privatePathsSigned: configuration.metricsSigned,
                                 sameOriginRoot: configuration.console.enabled ? configuration.console.root : nil),
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limiter: limiter, headerTimeout: configuration.headerTimeout,
                                                                                                 bodyTimeout: configuration.bodyTimeout)],
                                                idleTimeout: .seconds(300), httpDecoderConfiguration: decoder)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Shoal"),
            services: services,
            onServerRunning: { channel in await onListening?(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
