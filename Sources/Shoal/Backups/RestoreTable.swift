import Foundation
import LMDB

public struct RestoreTableFromBackupRequest: Sendable {
    public var targetTableName: String
    public var backupArn: String
    public var billingModeOverride: BillingMode?
    public var provisionedThroughputOverride: ProvisionedThroughput?
    /// The global indexes to restore (a subset of the backup's); all of them when nil.
    public var globalSecondaryIndexOverride: [GlobalSecondaryIndex]?
    /// The local indexes to restore; all of them when nil.
    public var localSecondaryIndexOverride: [LocalSecondaryIndex]?

    public init(targetTableName: String, backupArn: String) {
        self.targetTableName = targetTableName
        self.backupArn = backupArn
    }
}

extension Database {
    /// DynamoDB's RestoreTableFromBackup: creates the table (key schema, attribute definitions,
    /// capacity and the indexes, with the overrides), answers with it CREATING, and loads the
    /// backup's items in the background; the table is ACTIVE once they are in. As in DynamoDB,
    /// stream, time to live and tags are not restored. After a crash the load runs again.
    public func restoreTableFromBackup(_ request: RestoreTableFromBackupRequest) async throws(ShoalError) -> TableDescription {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        try TableNameRule.validate(request.targetTableName, field: "targetTableName")
        let record = try backupRecord(request.backupArn)
        guard record.status == .available else { throw ShoalError(.backupInUse, "Backup is being created: \(request.backupArn)") }
        guard lookup(request.targetTableName) == nil else {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        var definition = try restoredDefinition(
            of: record.table, named: request.targetTableName, billing: request.billingModeOverride,
            throughput: request.provisionedThroughputOverride, globals: request.globalSecondaryIndexOverride,
            locals: request.localSecondaryIndexOverride)
        definition.restore = RestoreState(sourceBackupArn: record.arn, sourceTableArn: record.tableArn,
                                          restoredAt: (options.clock.now.timeIntervalSince1970 * 1000).rounded() / 1000, inProgress: true)
        let created: CreateTableResponse
        do {
            created = try await insertTable(definition)
        } catch where error.kind == .resourceInUse {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        startRestore(tableName: definition.name, tableID: definition.id, from: .backup(record.id))
        return created.tableDescription
    }

    /// The definition of a table restored from `source`: its key schema, the attribute
    /// definitions its keys use, its capacity and indexes, each unless overridden. Stream, time
    /// to live, tags and point-in-time recovery are not restored (as in DynamoDB).
    func restoredDefinition(of source: TableDefinition, named target: String, billing: BillingMode?, throughput: ProvisionedThroughput?,
                            globals: [GlobalSecondaryIndex]?, locals: [LocalSecondaryIndex]?) throws(ShoalError) -> TableDefinition {
        let billing = billing ?? source.billingMode
        let globals = globals ?? source.allIndexes.filter(\.isGlobal).map { index in
            GlobalSecondaryIndex(indexName: index.name, keySchema: index.keySchema, projection: index.projection,
                                 provisionedThroughput: billing == .provisioned ? index.provisionedThroughput : nil)
        }
        let locals = locals ?? source.allIndexes.filter { !$0.isGlobal }.map { index in
            LocalSecondaryIndex(indexName: index.name, keySchema: index.keySchema, projection: index.projection)
        }
        // Only the attribute definitions the restored keys use (an index left out leaves its own).
        var used = Set(source.primaryKey.keySchema.map(\.attributeName))
        for index in globals { used.formUnion(index.keySchema.map(\.attributeName)) }
        for index in locals { used.formUnion(index.keySchema.map(\.attributeName)) }
        let createRequest = CreateTableRequest(
            tableName: target, keySchema: source.primaryKey.keySchema,
            attributeDefinitions: source.attributeDefinitions.filter { used.contains($0.attributeName) },
            billingMode: billing,
            provisionedThroughput: billing == .provisioned ? (throughput ?? source.provisionedThroughput) : nil,
            globalSecondaryIndexes: globals.isEmpty ? nil : globals, localSecondaryIndexes: locals.isEmpty ? nil : locals)
        return try validate(createRequest)
    }

    /// Where a restore's items come from.
    enum RestoreSource {
        /// An on-demand backup's items file (by backup id).
        case backup(String)
        /// A table's items at an instant, from its recovery log (see ``RestoreState``).
        case pointInTime
    }

    /// The most times a restore's load runs before the restored table is given up.
    static let restoreAttempts = 5

    /// Loads a restored table in the background. A load that cannot finish (a damaged backup, or
    /// ``restoreAttempts`` failures) deletes the table it was filling, so it never stays CREATING;
    /// the failure is logged and listed in ``backgroundFailures``.
    func startRestore(tableName name: String, tableID: String, from source: RestoreSource) {
        let job = "restore of table \(name)"
        jobs.start(job, retrying: true, maxAttempts: Database.restoreAttempts, onGiveUp: { [self] error in
            guard let handle = lookup(name), handle.definition.id == tableID else { return }
            do {
                _ = try await deleteTable(name)
                jobs.report(job, ShoalError.internalError("The restore of table \(name) could not finish (\(error)); the table was deleted"))
            } catch {
                jobs.report(job, error)
            }
        }) { [self] in try await loadRestore(tableName: name, tableID: tableID, from: source) }
    }

    /// Restarts the loads a previous run left unfinished.
    func resumeRestores() {
        guard !options.readOnly else { return }
        var restoring: Set<String> = []
        for name in tableNames() {
            guard let definition = lookup(name)?.definition, let restore = definition.restore, restore.inProgress else { continue }
            if let arn = restore.sourceBackupArn, let record = backups.record(arn) {
                startRestore(tableName: name, tableID: definition.id, from: .backup(record.id))
            } else if restore.sourceTableName != nil {
                restoring.insert(definition.id)
                startRestore(tableName: name, tableID: definition.id, from: .pointInTime)
            }
        }
        removeStaleRestoreFiles(keeping: restoring)
    }

    /// Writes the source's items into the restored table through the write path (indexes
    /// included), then marks the table ACTIVE. Rewriting an item already loaded changes nothing,
    /// so a load cut short by a crash, or a failure, simply runs again. A source that cannot be
    /// read, or holds an item the table refuses, is a permanent failure.
    private func loadRestore(tableName: String, tableID: String, from source: RestoreSource) async throws {
        guard let handle = lookup(tableName), handle.definition.id == tableID else { return }
        func permanent<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch { throw BackgroundJobs.PermanentFailure(underlying: error) }
        }
        let path: String
        switch source {
        case .backup(let backupID): path = backups.itemsPath(backupID)
        case .pointInTime: path = try await pointInTimeItems(for: handle.definition)
        }
        let reader = try permanent { try StoredValueReader(path: path) }
        var items: [Item] = []
        while let value = try permanent({ try reader.next() }) {
            items.append(try permanent { try ShardLayout.decodeValue(value).item })
            if items.count >= Database.bulkUnit * shards.count {
                try await loadBatch(handle, items)
                items.removeAll(keepingCapacity: true)
            }
        }
        try await loadBatch(handle, items)
        _ = try changeDefinition(tableName) { table throws(ShoalError) in
            guard table.id == tableID else { throw .resourceNotFound }
            table.restore?.inProgress = false
        }
        if case .pointInTime = source { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Writes items of the backup; they were valid in the source table, so a refusal is a fault.
    private func loadBatch(_ handle: TableHandle, _ items: [Item]) async throws {
        if let failure = try await bulkPut(handle, items: items).first { throw BackgroundJobs.PermanentFailure(underlying: failure.error) }
    }
}

/// Reads a backup's items file: stored item values, each after its length (a varint), in chunks.
final class StoredValueReader {
    private let file: FileHandle
    private var buffer: [UInt8] = []
    private var offset = 0
    private var atEnd = false

    init(path: String) throws {
        file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    }

    deinit { try? file.close() }

    /// The next value, or nil at the end of the file.
    func next() throws -> [UInt8]? {
        while true {
            var reader = ByteReader(buffer, offset: offset)
            if let length = try? reader.varint(), buffer.count - reader.offset >= length {
                let value = Array(buffer[reader.offset..<reader.offset + length])
                offset = reader.offset + length
                return value
            }
            if atEnd {
                guard offset == buffer.count else { throw ShoalError.internalError("The backup's items file is truncated") }
                return nil
            }
            try refill()
        }
    }

    private func refill() throws {
        buffer.removeFirst(offset)
        offset = 0
        guard let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: chunk)
    }
}
