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
    /// Items per writer unit while a restore loads a table.
    static let restoreBatch = 256

    /// DynamoDB's RestoreTableFromBackup: creates the table (key schema, attribute definitions,
    /// capacity and the indexes, with the overrides), answers with it CREATING, and loads the
    /// backup's items in the background; the table is ACTIVE once they are in. As in DynamoDB,
    /// stream, time to live and tags are not restored. After a crash the load runs again.
    public func restoreTableFromBackup(_ request: RestoreTableFromBackupRequest) async throws(ShoalError) -> TableDescription {
        guard !options.readOnly else { throw .internalError("The database is open read-only") }
        try TableNameRule.validate(request.targetTableName, field: "targetTableName")
        guard let record = backups.record(request.backupArn) else { throw .backupNotFound(request.backupArn) }
        guard record.status == .available else { throw ShoalError(.backupInUse, "Backup is being created: \(request.backupArn)") }
        guard lookup(request.targetTableName) == nil else {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        let source = record.table
        let billing = request.billingModeOverride ?? source.billingMode
        let globals = request.globalSecondaryIndexOverride ?? source.allIndexes.filter(\.isGlobal).map { index in
            GlobalSecondaryIndex(indexName: index.name, keySchema: index.keySchema, projection: index.projection,
                                 provisionedThroughput: billing == .provisioned ? index.provisionedThroughput : nil)
        }
        let locals = request.localSecondaryIndexOverride ?? source.allIndexes.filter { !$0.isGlobal }.map { index in
            LocalSecondaryIndex(indexName: index.name, keySchema: index.keySchema, projection: index.projection)
        }
        // Only the attribute definitions the restored keys use (an index left out leaves its own).
        var used = Set(source.primaryKey.keySchema.map(\.attributeName))
        for index in globals { used.formUnion(index.keySchema.map(\.attributeName)) }
        for index in locals { used.formUnion(index.keySchema.map(\.attributeName)) }
        let createRequest = CreateTableRequest(
            tableName: request.targetTableName, keySchema: source.primaryKey.keySchema,
            attributeDefinitions: source.attributeDefinitions.filter { used.contains($0.attributeName) },
            billingMode: billing,
            provisionedThroughput: billing == .provisioned ? (request.provisionedThroughputOverride ?? source.provisionedThroughput) : nil,
            globalSecondaryIndexes: globals.isEmpty ? nil : globals, localSecondaryIndexes: locals.isEmpty ? nil : locals)
        var definition = try validate(createRequest)
        definition.restore = RestoreState(sourceBackupArn: record.arn, sourceTableArn: record.tableArn,
                                          restoredAt: (Date().timeIntervalSince1970 * 1000).rounded() / 1000, inProgress: true)
        let created: CreateTableResponse
        do {
            created = try await insertTable(definition)
        } catch where error.kind == .resourceInUse {
            throw ShoalError(.tableAlreadyExists, "Table already exists: \(request.targetTableName)")
        }
        let (name, tableID, backupID) = (definition.name, definition.id, record.id)
        Task.detached { [self] in await loadRestore(tableName: name, tableID: tableID, backupID: backupID) }
        return created.tableDescription
    }

    /// Restarts the loads a previous run left unfinished.
    func resumeRestores() {
        guard !options.readOnly else { return }
        for name in tableNames() {
            guard let definition = lookup(name)?.definition, let restore = definition.restore, restore.inProgress,
                  let record = backups.record(restore.sourceBackupArn) else { continue }
            let (tableID, backupID) = (definition.id, record.id)
            Task.detached { [self] in await loadRestore(tableName: name, tableID: tableID, backupID: backupID) }
        }
    }

    /// Writes the backup's items into the restored table through the write path (indexes
    /// included), then marks the table ACTIVE. Rewriting an item already loaded changes nothing,
    /// so a load cut short by a crash simply runs again.
    private func loadRestore(tableName: String, tableID: String, backupID: String) async {
        do {
            guard let handle = lookup(tableName), handle.definition.id == tableID else { return }
            let key = handle.key
            let reader = try StoredValueReader(path: backups.itemsPath(backupID))
            var batches = [[(key: [UInt8], value: [UInt8])]](repeating: [], count: shards.count)
            var buffered = 0
            while let value = try reader.next() {
                let (item, _) = try ShardLayout.decodeValue(value)
                let itemKey = try key.storedKey(of: item)
                let shard = ring.shard(for: KeyEncoding.token(itemKey.partition))
                batches[shard].append((KeyEncoding.itemKey(itemKey), value))
                buffered += 1
                if buffered >= Database.restoreBatch * shards.count {
                    try await writeRestoreBatches(batches, tableID: tableID)
                    batches = batches.map { _ in [] }
                    buffered = 0
                }
            }
            try await writeRestoreBatches(batches, tableID: tableID)
            _ = try changeDefinition(tableName) { table throws(ShoalError) in
                guard table.id == tableID else { throw .resourceNotFound }
                table.restore?.inProgress = false
            }
        } catch {
            // The table was deleted, or the database closed: the next open resumes a live restore.
            return
        }
    }

    /// Writes each shard's batch as units of its writer, all shards at once.
    private func writeRestoreBatches(_ batches: [[(key: [UInt8], value: [UInt8])]], tableID: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, batch) in batches.enumerated() where !batch.isEmpty {
                let shard = shards[index]
                for start in stride(from: 0, to: batch.count, by: Database.restoreBatch) {
                    let part = Array(batch[start..<min(start + Database.restoreBatch, batch.count)])
                    group.addTask {
                        try await shard.writer.perform { context in
                            let table = try context.table(tableID)
                            for (key, value) in part {
                                let (item, size) = try ShardLayout.decodeValue(value)
                                let old = try context.get(table.items, key: key).map { stored throws in
                                    let decoded = try ShardLayout.decodeValue(stored)
                                    return OldItem(item: decoded.item, size: decoded.size)
                                }
                                try context.writeItem(table, tableID: tableID, key: key, old: old,
                                                      new: NewItem(item: item, value: value, size: size))
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
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
