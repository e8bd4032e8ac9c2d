import Foundation
import Testing
@testable import Shoal

@Suite struct TableTests {
    @Test func createDescribeListDelete() async throws {
        let (db, dir) = try makeDatabase()
        defer { withExtendedLifetime(dir) {} }
        let created = try await db.createTable(CreateTableRequest(tableName: "Orders", partitionKey: ("customer", .s), sortKey: ("date", .n)))
        #expect(created.tableDescription.tableStatus == .active)
        #expect(created.tableDescription.tableArn == "arn:aws:dynamodb:us-east-1:000000000000:table/Orders")
        #expect(created.tableDescription.keySchema == [
            KeySchemaElement(attributeName: "customer", keyType: .hash), KeySchemaElement(attributeName: "date", keyType: .range),
        ])
        try await db.table("Orders").put(["customer": "c1", "date": 1, "total": 10])
        try await db.table("Orders").put(["customer": "c2", "date": 2, "note": .s(String(repeating: "x", count: 100))])
        let description = try db.describeTable("Orders").table
        #expect(description.itemCount == 2)
        // c1's item: "customer"(8)+"c1"(2) + "date"(4)+1→2 + "total"(5)+10→2 = 23; c2's: 8+2 + 4+2 + 4+100 = 120.
        #expect(description.tableSizeBytes == 23 + 120)
        #expect(description.tableId == created.tableDescription.tableId)
        #expect(abs(description.creationDateTime.timeIntervalSinceNow) < 60)

        _ = try await db.createTable(CreateTableRequest(tableName: "Audit", partitionKey: ("id", .b)))
        #expect(try db.listTables().tableNames == ["Audit", "Orders"])

        let deleted = try await db.deleteTable("Orders")
        #expect(deleted.tableDescription.tableStatus == .deleting)
        #expect(deleted.tableDescription.itemCount == 2)
        #expect(try db.listTables().tableNames == ["Audit"])
        await expectError(.resourceNotFound, "Requested resource not found: Table: Orders not found") {
            _ = try db.describeTable("Orders")
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.getItem(GetItemRequest(tableName: "Orders", key: ["customer": "c1", "date": 1]))
        }
        // The name can be reused, and the new table starts empty.
        _ = try await db.createTable(CreateTableRequest(tableName: "Orders", partitionKey: ("customer", .s), sortKey: ("date", .n)))
        #expect(try db.describeTable("Orders").table.itemCount == 0)
        #expect(try await db.table("Orders").scan().isEmpty)
    }

    @Test func reopeningRestoresTablesAndItems() async throws {
        let dir = TemporaryDirectory()
        do {
            let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 3))
            _ = try await db.createTable(CreateTableRequest(tableName: "Users", partitionKey: ("id", .s)))
            _ = try await db.createTable(CreateTableRequest(tableName: "Gone", partitionKey: ("id", .s)))
            for i in 0..<50 { try await db.table("Users").put(["id": .s("u\(i)"), "n": .n(Number(i))]) }
            try await db.table("Gone").put(["id": "x"])
            _ = try await db.deleteTable("Gone")
            db.close()
        }
        // A different shard count is ignored: the directory keeps its own layout.
        let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 8))
        #expect(db.shardCount == 3)
        #expect(try db.listTables().tableNames == ["Users"])
        #expect(try db.describeTable("Users").table.itemCount == 50)
        #expect(try await db.table("Users").get(["id": "u7"]) == ["id": "u7", "n": 7])
        #expect(try await db.table("Users").scan().count == 50)
    }

    /// Deletion protection, table class and encryption settings: set at creation, changed by
    /// UpdateTable, kept across a reopen, reported; a protected table cannot be deleted.
    @Test func tableSettingsRoundTripAndDeletionProtection() async throws {
        let dir = TemporaryDirectory()
        var db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 2, durability: .noSync))
        var request = CreateTableRequest(tableName: "Kept", partitionKey: ("id", .s))
        request.deletionProtectionEnabled = true
        request.tableClass = .standardInfrequentAccess
        request.sseSpecification = SSESpecification(enabled: true, sseType: .kms, kmsMasterKeyId: "1234abcd-12ab")
        request.onDemandThroughput = OnDemandThroughput(maxReadRequestUnits: -1, maxWriteRequestUnits: 500)
        request.warmThroughput = WarmThroughput(readUnitsPerSecond: 15000, writeUnitsPerSecond: 5000)
        let created = try await db.createTable(request).tableDescription
        #expect(created.deletionProtectionEnabled)
        #expect(created.tableClassSummary?.tableClass == .standardInfrequentAccess)
        #expect(created.sseDescription == SSEDescription(status: "ENABLED", sseType: .kms,
                                                         kmsMasterKeyArn: "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab"))
        await expectError(.validation, "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.") {
            _ = try await db.deleteTable("Kept")
        }
        db.close()
        db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 2, durability: .noSync))
        defer { db.close() }
        let reopened = try db.describeTable("Kept").table
        #expect(reopened.deletionProtectionEnabled && reopened.tableClassSummary?.tableClass == .standardInfrequentAccess)
        #expect(reopened.onDemandThroughput == OnDemandThroughput(maxReadRequestUnits: -1, maxWriteRequestUnits: 500))
        #expect(reopened.warmThroughput == WarmThroughput(readUnitsPerSecond: 15000, writeUnitsPerSecond: 5000))
        var update = UpdateTableRequest(tableName: "Kept")
        update.deletionProtectionEnabled = false
        update.tableClass = .standard
        update.sseSpecification = SSESpecification(enabled: false)
        update.warmThroughput = WarmThroughput(readUnitsPerSecond: 20000)
        let updated = try await db.updateTable(update)
        #expect(updated.warmThroughput == WarmThroughput(readUnitsPerSecond: 20000, writeUnitsPerSecond: 5000))
        var bad = UpdateTableRequest(tableName: "Kept")
        bad.onDemandThroughput = OnDemandThroughput(maxReadRequestUnits: 0)
        await expectError(.validation, "One or more parameter values were invalid: MaxReadRequestUnits must be -1 or greater than or equal to 1") {
            _ = try await db.updateTable(bad)
        }
        #expect(!updated.deletionProtectionEnabled)
        #expect(updated.tableClassSummary?.tableClass == .standard)
        #expect(updated.sseDescription == nil)
        // A plain table reports none of them.
        _ = try await db.createTable(CreateTableRequest(tableName: "Plain", partitionKey: ("id", .s)))
        let plain = try db.describeTable("Plain").table
        #expect(!plain.deletionProtectionEnabled && plain.tableClassSummary == nil && plain.sseDescription == nil)
        _ = try await db.deleteTable("Kept")
        #expect(throws: ShoalError.self) { try db.describeTable("Kept") }
    }

    @Test func listTablesPages() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        for name in ["t_c", "t_a", "t_e", "t_b", "t_d"] {
            _ = try await db.createTable(CreateTableRequest(tableName: name, partitionKey: ("id", .s)))
        }
        let first = try db.listTables(ListTablesRequest(limit: 2))
        #expect(first == ListTablesResponse(tableNames: ["t_a", "t_b"], lastEvaluatedTableName: "t_b"))
        let second = try db.listTables(ListTablesRequest(exclusiveStartTableName: "t_b", limit: 2))
        #expect(second == ListTablesResponse(tableNames: ["t_c", "t_d"], lastEvaluatedTableName: "t_d"))
        let last = try db.listTables(ListTablesRequest(exclusiveStartTableName: "t_d", limit: 2))
        #expect(last == ListTablesResponse(tableNames: ["t_e"], lastEvaluatedTableName: nil))
        await expectError(.validation, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1") {
            _ = try db.listTables(ListTablesRequest(limit: 0))
        }
    }

    @Test func createTableValidation() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        let pk = [KeySchemaElement(attributeName: "id", keyType: .hash)]
        let pkDef = [AttributeDefinition(attributeName: "id", attributeType: .s)]
        await expectError(.validation, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3") {
            _ = try await db.createTable(CreateTableRequest(tableName: "ab", partitionKey: ("id", .s)))
        }
        await expectError(.validation, "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+") {
            _ = try await db.createTable(CreateTableRequest(tableName: "bad name!", partitionKey: ("id", .s)))
        }
        await expectError(.validation, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: [KeySchemaElement(attributeName: "id", keyType: .range)], attributeDefinitions: pkDef, billingMode: .payPerRequest))
        }
        await expectError(.validation, "Both the Hash Key and the Range Key element in the KeySchema have the same name") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk + [KeySchemaElement(attributeName: "id", keyType: .range)], attributeDefinitions: pkDef, billingMode: .payPerRequest))
        }
        await expectError(.validation, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk, attributeDefinitions: [AttributeDefinition(attributeName: "other", attributeType: .s)], billingMode: .payPerRequest))
        }
        await expectError(.validation, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk, attributeDefinitions: pkDef + [AttributeDefinition(attributeName: "x", attributeType: .n)], billingMode: .payPerRequest))
        }
        await expectError(.validation, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk, attributeDefinitions: pkDef))
        }
        await expectError(.validation, "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk, attributeDefinitions: pkDef, billingMode: .payPerRequest, provisionedThroughput: .init(readCapacityUnits: 1, writeCapacityUnits: 1)))
        }
        let provisioned = try await db.createTable(CreateTableRequest(tableName: "T1x", keySchema: pk, attributeDefinitions: pkDef, provisionedThroughput: .init(readCapacityUnits: 5, writeCapacityUnits: 5)))
        #expect(provisioned.tableDescription.billingMode == .provisioned)
        await expectError(.resourceInUse, "Table already exists: T1x") {
            _ = try await db.createTable(CreateTableRequest(tableName: "T1x", partitionKey: ("id", .s)))
        }
        await expectError(.resourceNotFound, "Requested resource not found: Table: Nope not found") {
            _ = try await db.deleteTable("Nope")
        }
    }
}

@Suite struct ReopenTests {
    /// close() closes the environments: the directory opens again in the same process while the old
    /// `Database` object still lives, the old one refuses work, and its late release leaves the new
    /// one's readers alone (LMDB releases every reader slot of the process when a handle closes).
    @Test func reopeningWhileTheOldObjectLives() async throws {
        let dir = TemporaryDirectory()
        let options = DatabaseOptions(shardCount: 2, durability: .noSync)
        var old: Database? = try Database.open(at: dir.path, options: options)
        _ = try await old!.createTable(CreateTableRequest(tableName: "Kept", partitionKey: ("id", .s)))
        for i in 0..<20 { try await old!.table("Kept").put(["id": .s("k\(i)")]) }
        old!.close()
        let db = try Database.open(at: dir.path, options: options)
        defer { db.close() }
        for _ in 0..<3 {
            #expect(try await db.table("Kept").scan().count == 20)
            #expect(try await db.table("Kept").get(["id": "k3"]) != nil)
        }
        do {
            _ = try await old!.table("Kept").get(["id": "k3"])
            Issue.record("a closed database answered")
        } catch {
            #expect(error.message.contains("closed"))
        }
        old = nil
        for _ in 0..<3 {
            #expect(try await db.table("Kept").scan().count == 20)
            #expect(try await db.table("Kept").get(["id": "k3"]) != nil)
        }
    }
}

@Suite struct DeletedTableSlotTests {
    private func open(grace: Duration, dir: TemporaryDirectory) throws -> Database {
        var options = DatabaseOptions(shardCount: 1, durability: .noSync)
        options.maxDatabasesPerShard = 16
        options.deletedTableGrace = grace
        return try Database.open(at: dir.path, options: options)
    }

    @Test func slotsOfDeletedTablesAreReusedAfterTheirQuarantine() async throws {
        let dir = TemporaryDirectory()
        let db = try open(grace: .zero, dir: dir)
        for cycle in 0..<60 {
            _ = try await db.createTable(CreateTableRequest(tableName: "cycle\(cycle)", partitionKey: ("id", .s)))
            try await db.table("cycle\(cycle)").put(["id": .s("x\(cycle)")])
            _ = try await db.deleteTable("cycle\(cycle)")
        }
        _ = try await db.createTable(CreateTableRequest(tableName: "last", partitionKey: ("id", .s)))
        #expect(try await db.table("last").scan().isEmpty)
    }

    @Test func indexesCountAgainstTheDatabaseBudget() async throws {
        let dir = TemporaryDirectory()
        let db = try open(grace: .seconds(30), dir: dir)
        func request(_ name: String) -> CreateTableRequest {
            var r = CreateTableRequest(tableName: name, partitionKey: ("id", .s))
            r.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
            r.globalSecondaryIndexes = (0..<4).map { GlobalSecondaryIndex("gsi\($0)", partitionKey: "g") }
            return r
        }
        // 16 named databases: `stats`, then five per table (items and four indexes).
        for name in ["one", "two", "three"] { _ = try await db.createTable(request(name)) }
        await expectError(.limitExceeded, "Subscriber limit exceeded: this data directory holds at most 15 databases: one per table, one per secondary index and one per change stream (a deleted table or index counts for 30.0 seconds after its deletion)") {
            _ = try await db.createTable(request("four"))
        }
        try await db.table("three").put(["id": "a", "g": "x"])
        #expect(try await db.table("three").index("gsi3").query(["g": "x"]).count == 1)
    }

    /// An export (one long snapshot) keeps a deleted table's database handle open past the grace
    /// period, so a new table cannot take its slot under the reader.
    @Test func longReadsHoldTheQuarantine() async throws {
        let dir = TemporaryDirectory()
        let db = try open(grace: .zero, dir: dir)
        _ = try await db.createTable(CreateTableRequest(tableName: "old", partitionKey: ("id", .s)))
        for i in 0..<50 { try await db.table("old").put(["id": .s("o\(i)"), "v": .n(Number(i))]) }
        let midway = DispatchSemaphore(value: 0)
        let resume = DispatchSemaphore(value: 0)
        let reader = Task.detached { () throws -> [String] in
            var seen: [String] = []
            try db.forEachItem(tableName: "old") { item in
                if seen.count == 10 {
                    midway.signal()
                    resume.wait()
                }
                if case .s(let id)? = item["id"] { seen.append(id) }
            }
            return seen
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { midway.wait(); done.resume() }
        }
        _ = try await db.deleteTable("old")
        for cycle in 0..<3 {
            _ = try await db.createTable(CreateTableRequest(tableName: "new\(cycle)", partitionKey: ("id", .s)))
            try await db.table("new\(cycle)").put(["id": .s("n\(cycle)")])
        }
        let writer = db.shards[0].writer
        // The old table's database is still held, though its grace period (zero) has passed.
        #expect(try writer.performSync { _ in writer.quarantinedCount } == 1)
        resume.signal()
        let seen = try await reader.value
        #expect(seen.count == 50 && seen.allSatisfy { $0.hasPrefix("o") })
        // Once the read ended the quarantine empties as usual.
        _ = try await db.createTable(CreateTableRequest(tableName: "after", partitionKey: ("id", .s)))
        #expect(try writer.performSync { _ in writer.quarantinedCount } == 0)
        #expect(try await db.table("after").scan().isEmpty)
    }

    @Test func quarantinedSlotsAreNotReusedEarly() async throws {
        let dir = TemporaryDirectory()
        let db = try open(grace: .seconds(3600), dir: dir)
        var failure: ShoalError?
        for cycle in 0..<40 {
            do {
                _ = try await db.createTable(CreateTableRequest(tableName: "cycle\(cycle)", partitionKey: ("id", .s)))
                _ = try await db.deleteTable("cycle\(cycle)")
            } catch {
                failure = error
                break
            }
        }
        // With 16 databases per shard and every deleted one still quarantined, creation runs out of slots.
        #expect(failure?.kind == .limitExceeded)
        #expect(failure?.message.hasPrefix("Subscriber limit exceeded") == true)
    }
}
