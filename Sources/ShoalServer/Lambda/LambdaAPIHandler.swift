import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shoal

/// Lambda's event-source-mapping API (REST-JSON under `/2015-03-31/`), on the same server as
/// DynamoDB's, so `aws lambda create-event-source-mapping --endpoint-url …` and boto3's `lambda`
/// client manage Shoal's triggers.
struct LambdaAPIHandler: Sendable {
    let database: Database
    let configuration: ServerConfiguration
    let verifier: SigV4Verifier?

    static let errorType = HTTPField.Name("X-Amzn-ErrorType")!
    static let requestID = HTTPField.Name("x-amzn-RequestId")!
    static let basePath = "/2015-03-31/event-source-mappings"

    init(database: Database, configuration: ServerConfiguration) {
        self.database = database
        self.configuration = configuration
        verifier = configuration.verifier(service: "lambda")
    }

    /// Routes the API; each request is handled with the host's database of the moment.
    /// `console`: mount it under the console's API path instead (`{base}/console/api/lambda/…`),
    /// where the console's gate, not a signature, admits requests.
    static func register(on router: Router<BasicRequestContext>, host: DatabaseHost, configuration: ServerConfiguration,
                         console: (prefix: String, gate: ConsoleGate)? = nil) {
        @Sendable func serve(_ request: Request, _ body: @escaping @Sendable (LambdaAPIHandler, RequestReader, [String: String]) async throws(LambdaError) -> (HTTPResponse.Status, JSONValue)) async -> Response {
            var caller = Caller.signature
            if let console {
                switch console.gate.admit(request) {
                case .refused(let status, let message): return plainTextResponse(status, message)
                case .admitted(let session, _): caller = .console(session.map { Principal(arn: $0.principalArn) })
                }
            }
            let response = await host.whenAvailable { database in
                let handler = LambdaAPIHandler(database: database, configuration: configuration)
                return await handler.handle(request, caller: caller) { r, query throws(LambdaError) in try await body(handler, r, query) }
            }
            return response ?? plainTextResponse(.serviceUnavailable, "The data directory could not be opened again after resharding")
        }
        // The router matches the path with and without its trailing slash (boto3 sends one).
        let basePath = (console?.prefix ?? "") + LambdaAPIHandler.basePath
        let path = RouterPath(basePath)
        router.post(path) { request, _ in await serve(request) { h, r, _ throws(LambdaError) in try await h.create(r) } }
        router.get(path) { request, _ in await serve(request) { h, _, query throws(LambdaError) in try h.list(query) } }
        let item = RouterPath(basePath + "/:uuid")
        router.get(item) { request, context in
            let uuid = context.parameters.get("uuid") ?? ""
            return await serve(request) { h, _, _ throws(LambdaError) in try h.get(uuid) }
        }
        router.put(item) { request, context in
            let uuid = context.parameters.get("uuid") ?? ""
            return await serve(request) { h, r, _ throws(LambdaError) in try await h.update(uuid, r) }
        }
        router.delete(item) { request, context in
            let uuid = context.parameters.get("uuid") ?? ""
            return await serve(request) { h, _, _ throws(LambdaError) in try await h.delete(uuid) }
        }
    }

    // MARK: Operations

    func create(_ r: RequestReader) async throws(LambdaError) -> (HTTPResponse.Status, JSONValue) {
        guard let function = try lambda({ () throws(ProtocolError) in try r.string("FunctionName") }) else {
            throw LambdaError.validation("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
        }
        let arn = try lambda { () throws(ProtocolError) in try r.string("EventSourceArn") }
        guard let arn else {
            throw LambdaError(ShoalError(.invalidParameterValue, "Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or mq. Shoal's event sources are DynamoDB stream ARNs (a table's LatestStreamArn)."))
        }
        let position = try startingPosition(r)
        let parameters = try self.parameters(r)
        let result = try await engineLambda { () async throws(ShoalError) in
            try await database.createEventSourceMapping(CreateEventSourceMappingRequest(
                functionName: function, eventSourceArn: arn, startingPosition: position, parameters: parameters))
        }
        return (.accepted, LambdaAPIHandler.json(result))
    }

    func list(_ query: [String: String]) throws(LambdaError) -> (HTTPResponse.Status, JSONValue) {
        var maxItems: Int?
        if let text = query["MaxItems"] {
            guard let value = Int(text) else {
                throw LambdaError.validation("1 validation error detected: Value '\(text)' at 'maxItems' failed to satisfy constraint: Member must be a number")
            }
            maxItems = value
        }
        let result = try engineLambda { () throws(ShoalError) in
            try database.listEventSourceMappings(eventSourceArn: query["EventSourceArn"], functionName: query["FunctionName"],
                                                 marker: query["Marker"], maxItems: maxItems)
        }
        var members: [(String, JSONValue)] = [("EventSourceMappings", .array(result.eventSourceMappings.map(LambdaAPIHandler.json)))]
        if let marker = result.nextMarker { members.append(("NextMarker", .string(marker))) }
        return (.ok, .object(members))
    }

    func get(_ uuid: String) throws(LambdaError) -> (HTTPResponse.Status, JSONValue) {
        let result = try engineLambda { () throws(ShoalError) in try database.getEventSourceMapping(uuid: uuid) }
        return (.ok, LambdaAPIHandler.json(result))
    }

    func update(_ uuid: String, _ r: RequestReader) async throws(LambdaError) -> (HTTPResponse.Status, JSONValue) {
        let function = try lambda { () throws(ProtocolError) in try r.string("FunctionName") }
        let parameters = try self.parameters(r)
        let result = try await engineLambda { () async throws(ShoalError) in
            try await database.updateEventSourceMapping(uuid: uuid, functionName: function, parameters: parameters)
        }
        return (.accepted, LambdaAPIHandler.json(result))
    }

    func delete(_ uuid: String) async throws(LambdaError) -> (HTTPResponse.Status, JSONValue) {
        let result = try await engineLambda { () async throws(ShoalError) in try await database.deleteEventSourceMapping(uuid: uuid) }
        return (.accepted, LambdaAPIHandler.json(result))
    }

    // MARK: Request members

    private func startingPosition(_ r: RequestReader) throws(LambdaError) -> StartingPosition? {
        guard let text = try lambda({ () throws(ProtocolError) in try r.string("StartingPosition") }) else { return nil }
        if text == "AT_TIMESTAMP" {
            throw LambdaError(ShoalError(.invalidParameterValue, "Unsupported starting position for DynamoDB streams: AT_TIMESTAMP. Valid values are TRIM_HORIZON and LATEST."))
        }
        guard let position = StartingPosition(rawValue: text) else {
            throw LambdaError.validation("1 validation error detected: Value '\(text)' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_TIMESTAMP]")
        }
        return position
    }

    private func parameters(_ r: RequestReader) throws(LambdaError) -> EventSourceMappingParameters {
        try lambda { () throws(ProtocolError) -> EventSourceMappingParameters in
            var p = EventSourceMappingParameters()
            p.batchSize = try r.int("BatchSize")
            p.maximumBatchingWindowInSeconds = try r.int("MaximumBatchingWindowInSeconds")
            p.maximumRetryAttempts = try r.int("MaximumRetryAttempts")
            p.maximumRecordAgeInSeconds = try r.int("MaximumRecordAgeInSeconds")
            p.bisectBatchOnFunctionError = try r.bool("BisectBatchOnFunctionError")
            p.parallelizationFactor = try r.int("ParallelizationFactor")
            p.tumblingWindowInSeconds = try r.int("TumblingWindowInSeconds")
            p.enabled = try r.bool("Enabled")
            if let types = try r.stringArray("FunctionResponseTypes") {
                p.functionResponseTypes = try types.map { (text) throws(ProtocolError) in
                    guard let type = FunctionResponseType(rawValue: text) else {
                        throw .validation("1 validation error detected: Value '[\(text)]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]")
                    }
                    return type
                }
            }
            if let criteria = try r.object("FilterCriteria") {
                var patterns: [String] = []
                for filter in try criteria.array("Filters") ?? [] {
                    let entry = try RequestReader(filter)
                    if let pattern = try entry.string("Pattern") { patterns.append(pattern) }
                }
                p.filterCriteria = FilterCriteria(patterns: patterns)
            }
            if let destination = try r.object("DestinationConfig") {
                if let onFailure = try destination.object("OnFailure") {
                    let target = try onFailure.string("Destination") ?? ""
                    // Through the API the server calls only URLs the operator allowed (--allowed-destinations).
                    if target.hasPrefix("http://") || target.hasPrefix("https://"),
                       !DestinationURL.isAllowed(target, prefixes: configuration.allowedDestinations) {
                        throw ProtocolError(ShoalError(.invalidParameterValue, "The on-failure destination \(DestinationURL.redacted(target)) is not allowed: URLs given through the API must start with one of the server's --allowed-destinations\(configuration.allowedDestinations.isEmpty ? " (none are set)" : "")"))
                    }
                    p.onFailureDestination = target
                }
                if try destination.object("OnSuccess") != nil {
                    throw ProtocolError(ShoalError(.invalidParameterValue, "Unsupported DestinationConfig parameter for given event source mapping type."))
                }
            }
            return p
        }
    }

    // MARK: Rendering

    static func json(_ c: EventSourceMappingConfiguration) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("UUID", .string(c.uuid)),
            ("StartingPosition", .string(c.startingPosition.rawValue)),
            ("BatchSize", .number(String(c.batchSize))),
            ("MaximumBatchingWindowInSeconds", .number(String(c.maximumBatchingWindowInSeconds))),
            ("ParallelizationFactor", .number(String(c.parallelizationFactor))),
        ]
        if let arn = c.eventSourceArn { members.append(("EventSourceArn", .string(arn))) }
        if let criteria = c.filterCriteria {
            members.append(("FilterCriteria", .object([("Filters", .array(criteria.patterns.map { .object([("Pattern", .string($0))]) }))])))
        }
        members += [
            ("FunctionArn", .string(c.functionArn)),
            ("LastModified", .number(String(format: "%.3f", c.lastModified.timeIntervalSince1970))),
            ("LastProcessingResult", .string(c.lastProcessingResult)),
            ("State", .string(c.state.rawValue)),
            ("StateTransitionReason", .string(c.stateTransitionReason)),
            ("DestinationConfig", .object([("OnFailure", .object(c.onFailureDestination.map { [("Destination", .string(DestinationURL.redacted($0)))] } ?? []))])),
            ("MaximumRecordAgeInSeconds", .number(String(c.maximumRecordAgeInSeconds))),
            ("BisectBatchOnFunctionError", .bool(c.bisectBatchOnFunctionError)),
            ("MaximumRetryAttempts", .number(String(c.maximumRetryAttempts))),
            ("TumblingWindowInSeconds", .number(String(c.tumblingWindowInSeconds))),
            ("FunctionResponseTypes", .array(c.functionResponseTypes.map { .string($0.rawValue) })),
            ("EventSourceMappingArn", .string("arn:aws:lambda:\(c.functionArn.split(separator: ":")[3]):000000000000:event-source-mapping:\(c.uuid)")),
        ]
        // Shoal's own view of the mapping's progress (clients ignore members they do not know).
        var progress: [(String, JSONValue)] = [
            ("RecordsBehind", .number(String(c.recordsBehind))),
            ("SecondsBehind", .number(String(format: "%.3f", c.secondsBehind))),
            ("Shards", .array(c.shards.map { shard in
                var entry: [(String, JSONValue)] = [("ShardId", .string(shard.shardId))]
                if let checkpoint = shard.checkpoint { entry.append(("Checkpoint", .string(checkpoint))) }
                entry += [("RecordsBehind", .number(String(shard.recordsBehind))), ("SecondsBehind", .number(String(format: "%.3f", shard.secondsBehind)))]
                return .object(entry)
            })),
        ]
        if let table = c.tableName { progress.insert(("TableName", .string(table)), at: 0) }
        if let error = c.lastError { progress.append(("LastError", .string(error))) }
        if let time = c.lastErrorTime { progress.append(("LastErrorTime", .number(String(format: "%.3f", time.timeIntervalSince1970)))) }
        progress.append(("RecordsSent", .number(String(c.recordsSent))))
        members.append(("ShoalProgress", .object(progress)))
        return .object(members)
    }

    // MARK: Transport

    /// Who sends a request: a client that signs it (checked under `--auth sigv4`), or the console,
    /// whose gate admitted it as a session's principal (nil under `--auth none`).
    enum Caller {
        case signature
        case console(Principal?)
    }

    private func handle(_ request: Request, caller: Caller,
                        _ body: (RequestReader, [String: String]) async throws(LambdaError) -> (HTTPResponse.Status, JSONValue)) async -> Response {
        let requestID = UUID().uuidString.lowercased()
        let result: (HTTPResponse.Status, JSONValue)
        do throws(LambdaError) {
            func refused(_ error: ProtocolError) -> LambdaError {
                LambdaError(status: .forbidden, type: String(error.type.split(separator: "#").last ?? "UnrecognizedClientException"), message: error.message)
            }
            // The signature's header part is checked before any of the body is read.
            var headers = DynamoDBRequestHandler.lowercasedHeaders(request.headers)
            headers["host"] = request.head.authority
            var signed: SigV4Verifier.SignedRequest?
            var principal: Principal?
            switch caller {
            case .signature:
                if let verifier {
                    do { signed = try verifier.checkHeaders(headers) } catch { throw refused(error) }
                    principal = Principal(arn: configuration.principals[signed!.authorization.accessKey])
                }
            case .console(let sessionPrincipal):
                principal = sessionPrincipal
            }
            // Event source mappings belong to the server's account: another account's key may not manage them.
            if let principal, !principal.isOwnAccount {
                throw refused(RequestAuthorization.denied(principal, .init(action: "lambda:EventSourceMapping", resource: nil), explicit: false))
            }
            let raw: [UInt8]
            do {
                raw = try await RequestBody.collect(request, limit: 6 << 20)
            } catch .requestTooLarge {
                throw LambdaError(status: .contentTooLarge, type: "RequestTooLargeException", message: "Request must be smaller than 6291456 bytes for the CreateEventSourceMapping operation")
            } catch {
                throw LambdaError(status: .badRequest, type: "InvalidRequestContentException", message: error.message)
            }
            if let verifier, let signed {
                do {
                    try verifier.checkSignature(signed, method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                                headers: headers, body: raw)
                } catch { throw refused(error) }
            }
            let json: JSONValue
            if raw.isEmpty {
                json = .object([])
            } else {
                do { json = try JSONParser.parse(raw) } catch {
                    throw LambdaError(status: .badRequest, type: "SerializationException", message: error.message)
                }
            }
            let reader = try lambda { () throws(ProtocolError) in try RequestReader(json) }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            result = try await body(reader, query)
        } catch {
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[LambdaAPIHandler.errorType] = error.type
            headers[LambdaAPIHandler.requestID] = requestID
            let json = JSONValue.object([("Type", .string(error.status.code >= 500 ? "Service" : "User")), ("Message", .string(error.message))])
            return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(json))))
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[LambdaAPIHandler.requestID] = requestID
        return Response(status: result.0, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(result.1))))
    }
}

/// An error as Lambda's REST-JSON protocol sends it: a status, `X-Amzn-ErrorType` and a message.
struct LambdaError: Error, Sendable {
    let status: HTTPResponse.Status
    let type: String
    let message: String

    init(status: HTTPResponse.Status, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    init(_ error: ShoalError) {
        switch error.kind {
        case .resourceNotFound: self.init(status: .notFound, type: "ResourceNotFoundException", message: error.message)
        case .resourceConflict: self.init(status: .conflict, type: "ResourceConflictException", message: error.message)
        case .internalServerError: self.init(status: .internalServerError, type: "ServiceException", message: "Internal error")
        default: self.init(status: .badRequest, type: error.type, message: error.message)
        }
    }

    init(_ error: ProtocolError) {
        let type = String(error.type.split(separator: "#").last ?? "ValidationException")
        self.init(status: HTTPResponse.Status(code: error.status), type: type, message: error.message)
    }

    static func validation(_ message: String) -> LambdaError {
        LambdaError(status: .badRequest, type: "ValidationException", message: message)
    }
}

private func lambda<T>(_ body: () throws(ProtocolError) -> T) throws(LambdaError) -> T {
    do { return try body() } catch { throw LambdaError(error) }
}

private func engineLambda<T>(_ body: () throws(ShoalError) -> T) throws(LambdaError) -> T {
    do { return try body() } catch { throw LambdaError(error) }
}

private func engineLambda<T>(_ body: () async throws(ShoalError) -> T) async throws(LambdaError) -> T {
    do { return try await body() } catch { throw LambdaError(error) }
}
