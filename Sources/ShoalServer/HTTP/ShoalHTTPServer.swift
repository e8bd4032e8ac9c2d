import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shoal

/// Shoal over DynamoDB's HTTP JSON protocol, on Hummingbird 2.
///
/// `POST /` carries the operations; `GET /` answers `healthy: <host:port>` as DynamoDB's endpoint
/// does; `OPTIONS` answers CORS preflights so a web page can call Shoal.
public enum ShoalHTTPServer {
    /// Builds the application (not yet running).
    public static func application(database: Database, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
        let handler = DynamoDBRequestHandler(database: database, configuration: configuration)
        let router = Router()
        router.add(middleware: CORSResponder())
        router.post("/") { request, context in
            await handler.handle(request, logger: context.logger)
        }
        router.get("/") { request, _ in
            let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "healthy: \(host) ")))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Shoal"),
            logger: logger)
    }
}

/// Adds CORS headers to responses for requests that carry an `Origin`, and answers preflights.
struct CORSResponder<Context: RequestContext>: RouterMiddleware {
    static var exposed: String { "x-amzn-RequestId, x-amz-crc32, x-amz-id-2, Date" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        if request.method == .options {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin == "null" ? "*" : origin
            headers[.accessControlAllowMethods] = "POST, GET, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders]
                ?? "Content-Type, Authorization, X-Amz-Target, X-Amz-Date, X-Amz-Security-Token, X-Amz-User-Agent, X-Amz-Content-Sha256, Amz-Sdk-Invocation-Id, Amz-Sdk-Request"
            headers[.accessControlMaxAge] = "86400"
            headers[.vary] = "Origin"
            return Response(status: .ok, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin == "null" ? "*" : origin
        response.headers[.accessControlExposeHeaders] = CORSResponder.exposed
        response.headers[.vary] = "Origin"
        return response
    }
}
