import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shoal
import Zlib

/// Handles `POST /`: body limits and decompression, authentication, the target header, JSON,
/// dispatch, and the response headers DynamoDB clients rely on (`x-amzn-RequestId`, `x-amz-crc32`).
struct DynamoDBRequestHandler: Sendable {
    let host: DatabaseHost
    let configuration: ServerConfiguration
    let verifier: SigV4Verifier?
    /// The resource policies parsed so far (under `--auth sigv4`).
    let policies = PolicyCache()
    let metrics: ServerMetrics

    static let target = HTTPField.Name("X-Amz-Target")!
    static let requestID = HTTPField.Name("x-amzn-RequestId")!
    static let crc32 = HTTPField.Name("x-amz-crc32")!

    init(host: DatabaseHost, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()) {
        self.host = host
        self.metrics = metrics
        self.configuration = configuration
        verifier = configuration.verifier(service: "dynamodb")
    }

    func handle(_ request: Request, logger: Logger) async -> Response {
        let started = ContinuousClock.now
        let requestID = DynamoDBRequestHandler.makeRequestID()
        let result: Result<JSONValue, ProtocolError>
        do {
            result = .success(try await process(request, logger: logger))
        } catch {
            result = .failure(error)
        }
        let response = DynamoDBRequestHandler.response(result, requestID: requestID, request: request, configuration: configuration)
        let failed: ProtocolError?
        if case .failure(let error) = result { failed = error } else { failed = nil }
        let target = request.headers[DynamoDBRequestHandler.target]
        metrics.record(operation: OperationDispatcher.operation(fromTarget: target), duration: ContinuousClock.now - started,
                       errorType: failed?.type)
        // Build log metadata only when a line will be written: this is the hot path.
        if failed != nil || logger.logLevel <= .debug {
            let elapsed = ContinuousClock.now - started
            var metadata: Logger.Metadata = [
                "operation": "\(DynamoDBRequestHandler.operationName(request.headers[DynamoDBRequestHandler.target]))",
                "status": "\(response.status.code)", "request_id": "\(requestID)",
                "duration_us": "\(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)",
            ]
            if let failed {
                metadata["error"] = "\(failed.type)"
                logger.warning("request failed: \(failed.logMessage)", metadata: metadata)
            } else {
                logger.debug("request", metadata: metadata)
            }
        }
        return response
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A random 128-bit id in hex, like DynamoDB's request ids (cheaper than formatting a UUID).
    static func makeRequestID() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for half in 0..<2 {
            var word = generator.next() as UInt64
            for i in 0..<16 {
                bytes[half * 16 + i] = hexDigits[Int(word & 0xF)]
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func operationName(_ target: String?) -> String {
        guard let target else { return "-" }
        for prefix in [OperationDispatcher.targetPrefix, OperationDispatcher.streamsTargetPrefix] where target.hasPrefix(prefix) {
            return String(target.dropFirst(prefix.count))
        }
        return target
    }

    private func process(_ request: Request, logger: Logger) async throws(ProtocolError) -> JSONValue {
        // Under SigV4 the signature's header part is checked before any of the body is read.
        var headers: [String: String] = [:]
        var signed: SigV4Verifier.SignedRequest?
        if let verifier {
            headers = DynamoDBRequestHandler.lowercasedHeaders(request.headers)
            headers["host"] = request.head.authority
            signed = try verifier.checkHeaders(headers)
        }
        let raw = try await RequestBody.collect(request, limit: configuration.maxBodySize)
        if let verifier, let signed {
            try verifier.checkSignature(signed, method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                        headers: headers, body: raw)
        }
        let body = try ContentCoding.decode(raw, contentEncoding: request.headers[.contentEncoding], limit: configuration.maxBodySize)
        let target = request.headers[DynamoDBRequestHandler.target]
        guard let operation = OperationDispatcher.operation(fromTarget: target) else { throw .unknownOperation(target) }
        let json: JSONValue
        if body.isEmpty {
            json = .object([])
        } else {
            do {
                json = try JSONParser.parse(body)
            } catch {
                throw .serialization(error.message)
            }
        }
        let region = SigV4Verifier.region(authorization: request.headers[.authorization]) ?? configuration.defaultRegion
        let endpoint = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        // Signed requests are decided by the resources' policies (see ``RequestAuthorization``).
        let principal = signed.map { Principal(arn: configuration.principals[$0.authorization.accessKey]) }
        return try await run(operation, json: json, target: target, region: region, endpoint: endpoint, principal: principal)
    }

    /// Runs an authenticated request's operation: `principal` is who signed it (nil under
    /// `--auth none`); the console's session requests come here too.
    func run(_ operation: String, json: JSONValue, target: String?, region: String, endpoint: String,
             principal: Principal?) async throws(ProtocolError) -> JSONValue {
        let context = OperationContext(region: region, endpoint: endpoint, principal: principal)
        if let principal, !principal.isOwnAccount, target?.hasPrefix(OperationDispatcher.adminTargetPrefix) == true {
            throw RequestAuthorization.denied(principal, .init(action: "shoal:" + operation, resource: nil), explicit: false)
        }
        // An online reshard waits for the requests in flight, this one included: it holds no lease.
        if operation == "ReshardDataDirectory" { return try await AdminOperations.reshardDataDirectory(try RequestReader(json), host: host) }
        if operation == "DescribeReshard" { return AdminOperations.describeReshard(host: host) }
        if SnapshotOperations.names.contains(operation) { return try await SnapshotOperations.run(operation, try RequestReader(json), host: host) }
        if operation == "DescribeBackgroundJobs" {
            return try await host.withDatabase { (database, _) throws(ProtocolError) in AdminOperations.describeBackgroundJobs(database) }
        }
        if ClockOperations.names.contains(operation) {
            let reader = try RequestReader(json)
            return try await host.withDatabase { (database, _) async throws(ProtocolError) in try await ClockOperations.run(operation, reader, database: database) }
        }
        if operation == "InjectFault" || operation == "ClearFaults" {
            let reader = try RequestReader(json)
            return try await host.withDatabase { (database, _) throws(ProtocolError) in
                operation == "ClearFaults" ? InjectedFaults.clear(database) : try InjectedFaults.inject(reader, database)
            }
        }
        if operation == "GetContributorInsightsReport" {
            let reader = try RequestReader(json)
            return try await host.withDatabase { (database, _) throws(ProtocolError) in try ContributorInsightsOperations(database: database).report(reader) }
        }
        if operation == "BackupDataDirectory" {
            let reader = try RequestReader(json)
            return try await host.withDatabase { (database, _) async throws(ProtocolError) -> JSONValue in
                try await AdminOperations(database: database).backupDataDirectory(reader, root: configuration.backupRoot)
            }
        }
        return try await host.withDatabase { (database, dispatcher) async throws(ProtocolError) -> JSONValue in
            if let principal {
                try RequestAuthorization.check(RequestAuthorization.accesses(operation: operation, body: json, region: region),
                                               principal: principal, database: database, policies: policies)
            }
            return try await dispatcher.dispatch(operation, body: json, context: context)
        }
    }

    static func lowercasedHeaders(_ fields: HTTPFields) -> [String: String] {
        var headers: [String: String] = [:]
        for field in fields {
            let name = field.name.canonicalName.lowercased()
            headers[name] = headers[name].map { "\($0),\(field.value)" } ?? field.value
        }
        return headers
    }

    /// Serializes the result with DynamoDB's headers, compressing when the client accepts it.
    static func response(_ result: Result<JSONValue, ProtocolError>, requestID: String, request: Request,
                         configuration: ServerConfiguration) -> Response {
        let status: HTTPResponse.Status
        let json: JSONValue
        switch result {
        case .success(let value):
            status = .ok
            json = value
        case .failure(let error):
            status = HTTPResponse.Status(code: error.status)
            json = error.json
        }
        // An operation that answers nothing (TagResource, UntagResource) sends an empty body.
        var bytes = json == .null ? [] : JSONWriter.encode(json)
        var headers = HTTPFields()
        headers[.contentType] = request.headers[.contentType]?.hasPrefix("application/x-amz-json-1.1") == true
            ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0"
        headers[DynamoDBRequestHandler.requestID] = requestID
        // DynamoDB reads only the first Accept-Encoding line.
        if bytes.count > ContentCoding.responseThreshold,
           let coding = ContentCoding.negotiate(request.headers[values: .acceptEncoding].first),
           let compressed = coding.compress(bytes) {
            bytes = compressed
            headers[.contentEncoding] = coding.rawValue
        }
        // DynamoDB's checksum covers the bytes as sent (compressed when compressed).
        headers[DynamoDBRequestHandler.crc32] = String(Zlib.crc32(bytes))
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
