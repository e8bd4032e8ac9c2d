import Foundation
import Shoal

/// What an import writes through: a data directory or a server.
protocol TransferClient: Sendable {
    /// One DynamoDB operation. - Throws: ``DynamoDBClient/ServiceError`` for DynamoDB's errors.
    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue
    /// Items per batch this client writes best.
    var batchSize: Int { get }
    /// Writes `items`; returns the refused ones by position with the reason. Each item is either
    /// written or refused; with `stopAtFirstFailure`, nothing after the first refused item is written.
    func put(table: String, items: [Item], stopAtFirstFailure: Bool) async throws -> [(position: Int, message: String)]
}

/// An open data directory, through the same operations the server runs.
struct LocalClient: TransferClient {
    let database: Database
    var batchSize: Int { 4096 }

    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        do {
            return try await OperationDispatcher(database: database).dispatch(
                operation, body: body, context: OperationContext(region: database.options.region, endpoint: "local"))
        } catch {
            throw DynamoDBClient.ServiceError(type: error.type.split(separator: "#").last.map(String.init) ?? error.type, message: error.message)
        }
    }

    func put(table: String, items: [Item], stopAtFirstFailure: Bool) async throws -> [(position: Int, message: String)] {
        try await database.bulkPut(tableName: table, items: items, stopAtFirstFailure: stopAtFirstFailure)
            .map { ($0.position, $0.error.message) }
    }
}

/// The table an ImportTable job loads (CREATING meanwhile), through the engine's import writes.
struct ImportingClient: TransferClient {
    let database: Database
    let tableID: String
    var batchSize: Int { 4096 }

    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        throw TransferError("an import job writes items only")
    }

    func put(table: String, items: [Item], stopAtFirstFailure: Bool) async throws -> [(position: Int, message: String)] {
        try await database.importItems(tableName: table, tableID: tableID, items).map { ($0.position, $0.error.message) }
    }
}

extension DynamoDBClient: TransferClient {
    var batchSize: Int { 25 }

    /// BatchWriteItem (unprocessed items retried); a batch DynamoDB refuses as a whole is written
    /// item by item to find the refused ones.
    func put(table: String, items: [Item], stopAtFirstFailure: Bool) async throws -> [(position: Int, message: String)] {
        var pending: [JSONValue] = items.map { .object([("PutRequest", .object([("Item", AttributeValueJSON.encode($0))]))]) }
        var delay: Duration = .milliseconds(20)
        do {
            while !pending.isEmpty {
                let answer = try await call("BatchWriteItem", .object([("RequestItems", .object([(table, .array(pending))]))]))
                guard case .array(let unprocessed)? = answer.member("UnprocessedItems")?.member(table), !unprocessed.isEmpty else { break }
                pending = unprocessed
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
            return []
        } catch let error as ServiceError where error.type == "ValidationException" {
            var refused: [(position: Int, message: String)] = []
            for (position, item) in items.enumerated() {
                do {
                    _ = try await call("PutItem", .object([("TableName", .string(table)), ("Item", AttributeValueJSON.encode(item))]))
                } catch let failure as ServiceError where failure.type == "ValidationException" {
                    refused.append((position, failure.message))
                    if stopAtFirstFailure { break }
                }
            }
            return refused
        }
    }
}

/// Gathers parsed items into batches and writes them; keeps the bad lines.
final class ImportBatcher {
    private let client: any TransferClient
    private let table: String
    private let keys: TableKeys
    private let onError: TableImport.OnError
    private let report: (@Sendable (TableImport.BadLine) -> Void)?
    private var batch: [(item: Item, file: String, line: Int)] = []
    private var keysInBatch: Set<String> = []
    private(set) var imported = 0
    /// The bad lines (the first ``keptBadLines``; ``badCount`` counts them all).
    private(set) var badLines: [TableImport.BadLine] = []
    private(set) var badCount = 0
    private(set) var stopped = false
    static let keptBadLines = 10_000

    init(client: any TransferClient, table: String, keys: TableKeys, onError: TableImport.OnError,
         report: (@Sendable (TableImport.BadLine) -> Void)?) {
        self.client = client
        self.table = table
        self.keys = keys
        self.onError = onError
        self.report = report
    }

    /// Queues an item. - Returns: true when the import must stop.
    func add(_ item: Item, file: String, line: Int) async throws -> Bool {
        let identity = keys.identity(of: item)
        // Two writes of one key may not share a batch (DynamoDB refuses it): the first goes first.
        if keysInBatch.contains(identity) { if try await flushStopping() { return true } }
        batch.append((item, file, line))
        keysInBatch.insert(identity)
        if batch.count >= client.batchSize { return try await flushStopping() }
        return false
    }

    /// Records a bad line. - Returns: true when the import must stop (the lines before are written).
    func bad(_ line: TableImport.BadLine) async throws -> Bool {
        // Stopping: the lines before this one are written first (unless one of them stops it earlier).
        if onError == .stop, try await flushStopping(wait: true) { return true }
        keep(line)
        guard onError == .stop else { return false }
        stopped = true
        return true
    }

    func flush() async throws { _ = try await flushStopping(wait: true) }

    private func keep(_ line: TableImport.BadLine) {
        badCount += 1
        if badLines.count < ImportBatcher.keptBadLines { badLines.append(line) }
        report?(line)
    }

    /// The batch being written while the next one is parsed: one at a time, in order.
    private var writing: (items: [(item: Item, file: String, line: Int)], task: Task<[(position: Int, message: String)], any Error>)?

    /// Starts writing the current batch once the one before it is written, so that parsing
    /// overlaps writing. - Returns: true when the import must stop.
    private func flushStopping(wait: Bool = false) async throws -> Bool {
        if try await settle() { return true }
        guard !batch.isEmpty, !stopped else { return stopped }
        let items = batch
        batch.removeAll(keepingCapacity: true)
        keysInBatch.removeAll(keepingCapacity: true)
        let (client, table, stopFirst) = (self.client, self.table, onError == .stop)
        let plain = items.map(\.item)
        writing = (items, Task { try await client.put(table: table, items: plain, stopAtFirstFailure: stopFirst) })
        return wait ? try await settle() : false
    }

    /// Waits for the batch being written and records its refusals. - Returns: true when the import must stop.
    private func settle() async throws -> Bool {
        guard let (items, task) = writing else { return stopped }
        writing = nil
        let refused = try await task.value
        for failure in refused {
            let source = items[failure.position]
            keep(TableImport.BadLine(file: source.file, line: source.line, message: failure.message))
        }
        if onError == .stop, let first = refused.first {
            imported += first.position
            stopped = true
            return true
        }
        imported += items.count - refused.count
        return false
    }
}
