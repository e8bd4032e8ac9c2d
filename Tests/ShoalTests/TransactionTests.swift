import Foundation
import Synchronization
import Testing
@testable import Shoal

@Suite struct TransactionTests {
    /// The shard of an item of a table keyed by a string partition key alone.
    static func shard(_ db: Database, _ key: String) -> Int {
        db.ring.shard(for: KeyEncoding.encode(partition: .s(key), sort: nil).token)
    }

    /// `count` partition keys, each on another shard (or all on one shard with `sameShard`).
    static func keys(_ db: Database, count: Int, sameShard: Bool = false) -> [String] {
        var found: [String] = []
        var shards: Set<Int> = []
        var i = 0
        while found.count < count {
            let key = "k\(i)"
            let shard = shard(db, key)
            if sameShard ? (found.isEmpty || shard == TransactionTests.shard(db, found[0])) : shards.insert(shard).inserted {
                found.append(key)
            }
            i += 1
        }
        return found
    }

    static func accounts(_ db: Database, name: String = "Accounts") async throws {
        var request = CreateTableRequest(tableName: name, partitionKey: ("id", .s))
        request.streamSpecification = .enabled(.newAndOldImages)
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "owner", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byOwner", partitionKey: "owner", projection: .all)]
        _ = try await db.createTable(request)
    }

    @Test func aTransactionAcrossShardsWritesItemsIndexesAndStreamRecords() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        let t = db.table("Accounts")
        let keys = TransactionTests.keys(db, count: 4)
        try await t.put(["id": .s(keys[2]), "owner": "carol", "balance": 5])
        try await t.put(["id": .s(keys[3]), "owner": "dave", "balance": 1])
        let response = try await db.transactWrite { tx in
            tx.put(t, ["id": .s(keys[0]), "owner": "ann", "balance": 10], condition: .attributeNotExists("id"))
            tx.update(t, key: ["id": .s(keys[1])], .set("balance", to: 20).setting("owner", to: "bob"))
            tx.delete(t, key: ["id": .s(keys[2])])
            tx.check(t, key: ["id": .s(keys[3])], "balance" == 1)
        }
        #expect(try await t.get(["id": .s(keys[0])])?["balance"] == 10)
        #expect(try await t.get(["id": .s(keys[1])])?["owner"] == "bob")
        #expect(try await t.get(["id": .s(keys[2])]) == nil)
        #expect(try await t.index("byOwner").query(["owner": "bob"]).count == 1)
        #expect(try await t.index("byOwner").query(["owner": "carol"]).isEmpty)
        // One record per changed item, none for the condition check.
        let records = try StreamTests.records(db, "Accounts").flatMap { $0 }
        let events = records.suffix(3).map(\.eventName).sorted { $0.rawValue < $1.rawValue }
        #expect(records.count == 5)
        #expect(events == [.insert, .insert, .remove])
        // Capacity: twice the units of the same writes (2 per KB), index writes included; a check reads.
        #expect(response.consumedCapacity.count == 1)
        let capacity = try #require(response.consumedCapacity.first)
        #expect(capacity.readUnits == 2)
        #expect(capacity.capacity.globalSecondaryIndexes["byOwner"] == 6)   // two entries written, one deleted
        #expect(capacity.writeUnits == 6 + 6)
        // Nothing is left of the commit records once the cleanup ran (in the background: wait for it,
        // not for a fixed time, which a loaded machine overran).
        #expect(try await eventually {
            try db.shards.allSatisfy { shard in
                try shard.writer.performSync { try $0.transactionKeys(prefix: UInt8(ascii: "D"), limit: 10).count
                    + $0.transactionKeys(prefix: UInt8(ascii: "M"), limit: 10).count } == 0
            }
        })
    }

    @Test(arguments: [false, true]) func aFailedConditionCancelsEveryActionWithItsReason(sameShard: Bool) async throws {
        do {
            let (db, dir) = try makeDatabase(shards: 4)
            defer { withExtendedLifetime(dir) {} }
            try await TransactionTests.accounts(db)
            let t = db.table("Accounts")
            let keys = TransactionTests.keys(db, count: 4, sameShard: sameShard)
            try await t.put(["id": .s(keys[1]), "balance": 3, "owner": "x"])
            try await t.put(["id": .s(keys[3]), "balance": "text"])
            do {
                _ = try await db.transactWriteItems(TransactWriteItemsRequest(actions: [
                    .put(PutItemRequest(tableName: "Accounts", item: ["id": .s(keys[0]), "balance": 1])),
                    .update(UpdateItemRequest(tableName: "Accounts", key: ["id": .s(keys[1])], updateExpression: "SET balance = balance - :a",
                                              conditionExpression: "balance >= :a", expressionAttributeValues: [":a": 5],
                                              returnValuesOnConditionCheckFailure: .allOld)),
                    .delete(DeleteItemRequest(tableName: "Accounts", key: ["id": .s(keys[2])])),
                    .update(UpdateItemRequest(tableName: "Accounts", key: ["id": .s(keys[3])], updateExpression: "ADD balance :a",
                                              expressionAttributeValues: [":a": 1])),
                ]))
                Issue.record("expected a cancellation")
            } catch {
                #expect(error.kind == .transactionCanceled)
                #expect(error.message == "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None, ValidationError]")
                let reasons = try #require(error.cancellationReasons)
                #expect(reasons.map(\.code) == ["None", "ConditionalCheckFailed", "None", "ValidationError"])
                #expect(reasons[1].item == ["id": .s(keys[1]), "balance": 3, "owner": "x"])
                #expect(reasons[1].message == "The conditional request failed")
                #expect(reasons[3].message == "An operand in the update expression has an incorrect data type")
            }
            #expect(try await t.get(["id": .s(keys[0])]) == nil)
            #expect(try await t.get(["id": .s(keys[1])])?["balance"] == 3)
            #expect(try StreamTests.records(db, "Accounts").flatMap { $0 }.count == 2)
        }
    }

    @Test func requestsAreValidatedAsDynamoDBDoes() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        func request(_ actions: [TransactWriteAction], token: String? = nil) -> TransactWriteItemsRequest {
            TransactWriteItemsRequest(actions: actions, clientRequestToken: token)
        }
        let put = TransactWriteAction.put(PutItemRequest(tableName: "Accounts", item: ["id": "a"]))
        await expectError(.validation, "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1") {
            _ = try await db.transactWriteItems(request([]))
        }
        let many = (0...100).map { TransactWriteAction.put(PutItemRequest(tableName: "Accounts", item: ["id": .s("i\($0)")])) }
        await expectError(.validation, "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100") {
            _ = try await db.transactWriteItems(request(many))
        }
        #expect(try await db.transactWriteItems(request(Array(many.prefix(100)))).consumedCapacity.first?.writeUnits == 200)
        await expectError(.validation, "Transaction request cannot include multiple operations on one item") {
            _ = try await db.transactWriteItems(request([put, .conditionCheck(ConditionCheckRequest(tableName: "Accounts", key: ["id": "a"],
                                                                                                    conditionExpression: "attribute_exists(id)"))]))
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.transactWriteItems(request([put, .delete(DeleteItemRequest(tableName: "Missing", key: ["id": "a"]))]))
        }
        await expectError(.validation, "1 validation error detected: Value null at 'transactItems.2.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null") {
            _ = try await db.transactWriteItems(request([put, .conditionCheck(ConditionCheckRequest(tableName: "Accounts", key: ["id": "b"]))]))
        }
        await expectError(.validation, "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\"") {
            _ = try await db.transactWriteItems(request([put, .update(UpdateItemRequest(tableName: "Accounts", key: ["id": "b"], updateExpression: "SET"))]))
        }
        await expectError(.validation, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}") {
            _ = try await db.transactWriteItems(request([put, .delete(DeleteItemRequest(
                tableName: "Accounts", key: ["id": "b"], conditionExpression: "attribute_exists(id)", expressionAttributeValues: [":unused": 1]))]))
        }
        // A key that does not fit the table cancels the transaction: ValidationError for that action, None for the rest.
        do {
            _ = try await db.transactWriteItems(request([put, .put(PutItemRequest(tableName: "Accounts", item: ["other": "a"])),
                                                         .put(PutItemRequest(tableName: "Accounts", item: ["id": 7]))]))
            Issue.record("a transaction with a bad key was accepted")
        } catch {
            #expect(error.kind == .transactionCanceled)
            #expect(error.cancellationReasons == [.none, .validation("One or more parameter values were invalid: Missing the key id in the item"), .none])
        }
        await expectError(.validation, "1 validation error detected: Value '' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 1") {
            _ = try await db.transactWriteItems(request([put], token: ""))
        }
        await expectError(.validation, "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100") {
            _ = try await db.transactGetItems((0...100).map { TransactGetRequest(tableName: "Accounts", key: ["id": .s("i\($0)")]) })
        }
        await expectError(.validation, "Transaction request cannot include multiple operations on one item") {
            _ = try await db.transactGetItems([TransactGetRequest(tableName: "Accounts", key: ["id": "a"]),
                                               TransactGetRequest(tableName: "Accounts", key: ["id": "a"])])
        }
        // Nothing was written by the invalid requests.
        #expect(try await db.table("Accounts").get(["id": "a"]) == nil)
    }

    @Test func aClientRequestTokenMakesTheCallIdempotent() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        let keys = TransactionTests.keys(db, count: 2)
        let add = TransactWriteItemsRequest(actions: keys.map {
            .update(UpdateItemRequest(tableName: "Accounts", key: ["id": .s($0)], updateExpression: "ADD balance :one", expressionAttributeValues: [":one": 1]))
        }, clientRequestToken: "token-1")
        let first = try await db.transactWriteItems(add)
        let again = try await db.transactWriteItems(add)
        #expect(first.consumedCapacity.first?.writeUnits == 4)
        #expect(again.consumedCapacity.first?.readUnits == 2)
        #expect(again.consumedCapacity.first?.writeUnits == 0)
        for key in keys { #expect(try await db.table("Accounts").get(["id": .s(key)])?["balance"] == 1) }
        var changed = add
        changed.actions.removeLast()
        await expectError(.idempotentParameterMismatch, "The request uses the same client token as a previous, but non-identical request.") {
            _ = try await db.transactWriteItems(changed)
        }
        // Another token runs again; a cancelled call frees its token.
        var other = add
        other.clientRequestToken = "token-2"
        _ = try await db.transactWriteItems(other)
        for key in keys { #expect(try await db.table("Accounts").get(["id": .s(key)])?["balance"] == 2) }
        let failing = TransactWriteItemsRequest(actions: [.conditionCheck(ConditionCheckRequest(
            tableName: "Accounts", key: ["id": .s(keys[0])], conditionExpression: "balance > :n", expressionAttributeValues: [":n": 5]))],
            clientRequestToken: "token-3")
        await #expect(throws: ShoalError.self) { try await db.transactWriteItems(failing) }
        await #expect(throws: ShoalError.self) { try await db.transactWriteItems(failing) }
        // Tokens are remembered for ten minutes.
        let tokens = IdempotencyTokens()
        let start = Date()
        #expect(try tokens.begin(token: "t", request: add, now: start) == nil)
        tokens.finish(token: "t", response: first, now: start)
        #expect(try tokens.begin(token: "t", request: add, now: start + 599) != nil)
        #expect(try tokens.begin(token: "t", request: add, now: start + 601) == nil)
    }

    /// What tokens hold is capped: past the count (or bytes), the oldest finished tokens go first;
    /// a request is held as a hash, so a token still tells equal requests from others.
    @Test func idempotencyTokensAreCapped() throws {
        let request = TransactWriteItemsRequest(actions: [.put(PutItemRequest(tableName: "T", item: ["id": "a", "big": .s(String(repeating: "x", count: 100_000))]))])
        var other = request
        other.actions = [.put(PutItemRequest(tableName: "T", item: ["id": "b"]))]
        let tokens = IdempotencyTokens(maxTokens: 1_000)
        let start = Date()
        for i in 0..<5_000 {
            _ = try tokens.begin(token: "t\(i)", request: request, now: start)
            tokens.finish(token: "t\(i)", response: TransactWriteItemsResponse(), now: start)
        }
        #expect(tokens.usage.tokens == 1_000)
        // Requests are not held: 1,000 tokens of a 100 KB request hold far less than one copy each.
        #expect(tokens.usage.bytes < 1_000 * 1_000)
        // The newest are kept (a retry replays), the oldest forgotten (a retry runs again).
        #expect(try tokens.begin(token: "t4999", request: request, now: start) != nil)
        #expect(try tokens.begin(token: "t0", request: request, now: start) == nil)
        #expect(throws: ShoalError.self) { _ = try tokens.begin(token: "t4998", request: other, now: start) }
        let bounded = IdempotencyTokens(maxBytes: 10_000)
        for i in 0..<1_000 {
            _ = try bounded.begin(token: "b\(i)", request: request, now: start)
            bounded.finish(token: "b\(i)", response: TransactWriteItemsResponse(), now: start)
        }
        #expect(bounded.usage.bytes <= 10_000 && bounded.usage.tokens < 1_000)
    }

    @Test func itemsOfATransactionBeingCommittedConflict() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        let handle = try db.handle("Accounts")
        let key = KeyEncoding.encode(partition: "held", sort: nil).key
        let lock = ItemLockKey(tableID: handle.definition.id, key: key)
        #expect(db.transactions.itemLocks.acquire([lock]) == [false])
        do {
            _ = try await db.transactWrite { tx in
                tx.put(db.table("Accounts"), ["id": "free"])
                tx.put(db.table("Accounts"), ["id": "held"])
            }
            Issue.record("expected a conflict")
        } catch let error as ShoalError {
            #expect(error.cancellationReasons?.map(\.code) == ["None", "TransactionConflict"])
            #expect(error.cancellationReasons?[1].message == "Transaction is ongoing for the item")
        }
        await expectError(.transactionConflict, "Transaction is ongoing for the item") {
            try await db.table("Accounts").put(["id": "held"])
        }
        await expectError(.transactionConflict, "Transaction is ongoing for the item") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Accounts", key: ["id": "held"], updateExpression: "SET a = :a",
                                                          expressionAttributeValues: [":a": 1]))
        }
        await expectError(.transactionConflict, "Transaction is ongoing for the item") {
            _ = try await db.table("Accounts").delete(["id": "held"])
        }
        do {
            _ = try await db.transactGetItems([TransactGetRequest(tableName: "Accounts", key: ["id": "held"])])
            Issue.record("expected a conflict")
        } catch {
            #expect(error.kind == .transactionCanceled)
            #expect(error.cancellationReasons?.map(\.code) == ["TransactionConflict"])
        }
        db.transactions.itemLocks.release([lock])
        try await db.table("Accounts").put(["id": "held"])
        #expect(try await db.transactGet([TransactGetRequest(tableName: "Accounts", key: ["id": "held"], projectionExpression: "id")]) == [["id": "held"]])
    }

    /// Concurrent transfers between accounts on every shard, single-item writes and readers:
    /// no reader ever sees part of a transfer (the total never changes), and the final balances
    /// are those of the committed transfers applied in any serial order.
    @Test func concurrentTransactionsSingleWritesAndReadersMatchASerialOrder() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        let t = db.table("Accounts")
        let accounts = (0..<12).map { "acct-\($0)" }
        for account in accounts { try await t.put(["id": .s(account), "balance": 100]) }
        let total = 100 * accounts.count
        let progress = ReaderProgress()
        // Readers: TransactGetItems, Scan and BatchGetItem (one view of every shard) must see whole transfers.
        let readers = (0..<3).map { kind in
            Task {
                while !progress.stop.load(ordering: .relaxed) {
                    // The reads never suspend: let the writers have the (two) cooperative threads.
                    await Task.yield()
                    var sum = 0
                    switch kind {
                    case 0:
                        guard let items = try? await db.transactGet(accounts.map { TransactGetRequest(tableName: "Accounts", key: ["id": .s($0)]) }) else { continue }
                        sum = items.reduce(0) { $0 + Int($1?["balance"]?.numberValue?.description ?? "0")! }
                    case 1:
                        sum = try await t.scan().reduce(0) { $0 + Int($1["balance"]?.numberValue?.description ?? "0")! }
                    default:
                        let got = try await db.batchGetItem(BatchGetItemRequest(requestItems: [
                            "Accounts": KeysAndAttributes(keys: accounts.map { ["id": .s($0)] })]))
                        sum = got.responses["Accounts", default: []].reduce(0) { $0 + Int($1["balance"]?.numberValue?.description ?? "0")! }
                    }
                    if sum != total { progress.violations.add(1, ordering: .relaxed) }
                    progress.reads.add(1, ordering: .relaxed)
                }
            }
        }
        let writers = (0..<4).map { seed in
            Task { () -> [Int: Int] in
                var g = SeededGenerator(seed: UInt64(seed) + 7)
                var deltas: [Int: Int] = [:]
                for _ in 0..<150 {
                    let from = Int.random(in: 0..<accounts.count, using: &g)
                    var to = Int.random(in: 0..<accounts.count, using: &g)
                    if to == from { to = (to + 1) % accounts.count }
                    let amount = Int.random(in: 1...30, using: &g)
                    if Int.random(in: 0..<4, using: &g) == 0 {
                        // A single write that does not touch balances.
                        _ = try? await db.updateItem(UpdateItemRequest(tableName: "Accounts", key: ["id": .s(accounts[from])],
                                                                       updateExpression: "SET note = :n", expressionAttributeValues: [":n": .n(Number(amount))]))
                        continue
                    }
                    do {
                        try await db.transactWrite { tx in
                            tx.update(t, key: ["id": .s(accounts[from])], .add("balance", .n(Number(-amount))), condition: "balance" >= .n(Number(amount)))
                            tx.update(t, key: ["id": .s(accounts[to])], .add("balance", .n(Number(amount))))
                        }
                        deltas[from, default: 0] -= amount
                        deltas[to, default: 0] += amount
                    } catch let error as ShoalError where error.kind == .transactionCanceled {
                        // Insufficient funds or a conflict: nothing happened.
                    }
                }
                return deltas
            }
        }
        var expected = Array(repeating: 100, count: accounts.count)
        for writer in writers {
            for (account, delta) in try await writer.value { expected[account] += delta }
        }
        progress.stop.store(true, ordering: .relaxed)
        for reader in readers { try await reader.value }
        #expect(progress.violations.load(ordering: .relaxed) == 0)
        #expect(progress.reads.load(ordering: .relaxed) > 0)
        for (i, account) in accounts.enumerated() {
            #expect(try await t.get(["id": .s(account)])?["balance"] == .n(Number(expected[i])))
        }
        #expect(expected.reduce(0, +) == total)
    }

    /// Concurrent transactions spanning shards commit in batches; one that cannot commit never takes
    /// its batch-mates with it.
    @Test func batchedTransactionsCommitOrCancelEachOnItsOwn() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        try await TransactionTests.accounts(db)
        let t = db.table("Accounts")
        let keys = TransactionTests.keys(db, count: 4)
        let results = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for n in 0..<40 {
                group.addTask {
                    do {
                        try await db.transactWrite { tx in
                            for (k, key) in keys.enumerated() {
                                let id = AttributeValue.s("\(key)-\(n)")
                                // Every odd transaction's third action fails its condition.
                                let condition: Condition? = n % 2 == 1 && k == 2 ? DocumentPath("id").exists : nil
                                tx.put(t, ["id": id, "n": .n(Number(n))], condition: condition)
                            }
                        }
                        return (n, [])   // committed
                    } catch let error as ShoalError {
                        return (n, error.cancellationReasons?.map(\.code) ?? [error.description])
                    }
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for n in 0..<40 {
            if n % 2 == 0 {
                #expect(results[n] == [], "transaction \(n)")
                for key in keys { #expect(try await t.get(["id": .s("\(key)-\(n)")])?["n"] == .n(Number(n))) }
            } else {
                #expect(results[n] == ["None", "None", "ConditionalCheckFailed", "None"], "transaction \(n)")
                for key in keys { #expect(try await t.get(["id": .s("\(key)-\(n)")]) == nil) }
            }
        }
    }

    @Test func itemCollectionMetricsAreReportedForTablesWithLocalIndexes() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        var request = CreateTableRequest(tableName: "Events", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "day", attributeType: .s))
        request.localSecondaryIndexes = [LocalSecondaryIndex(indexName: "byDay", keySchema: [
            KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "day", keyType: .range)], projection: .keysOnly)]
        _ = try await db.createTable(request)
        try await TransactionTests.accounts(db)
        let response = try await db.transactWriteItems(TransactWriteItemsRequest(actions: [
            .put(PutItemRequest(tableName: "Events", item: ["pk": "a", "sk": 1, "day": "mon"])),
            .put(PutItemRequest(tableName: "Events", item: ["pk": "b", "sk": 1])),
            .put(PutItemRequest(tableName: "Accounts", item: ["id": "x"])),
            .conditionCheck(ConditionCheckRequest(tableName: "Events", key: ["pk": "c", "sk": 1], conditionExpression: "attribute_not_exists(pk)")),
        ], returnItemCollectionMetrics: .size))
        // Only written items of the table with a local index, one entry per collection written.
        #expect(Set(response.itemCollectionMetrics.keys) == ["Events"])
        #expect(response.itemCollectionMetrics["Events"]?.map(\.itemCollectionKey) == [["pk": "a"], ["pk": "b"]])
        #expect(response.itemCollectionMetrics["Events"]?.first?.sizeEstimateRangeGB == [0, 1])
        #expect(response.consumedCapacity.map(\.tableName) == ["Events", "Accounts"])
    }

    /// A commit record whose other parts never committed (a crash right after the first shard's
    /// commit) is redone on open; one whose parts all committed is only cleared.
    @Test func openingRedoesTheMissingPartsOfARecordedTransaction() async throws {
        let dir = TemporaryDirectory()
        let keys: [String]
        do {
            let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 3, durability: .noSync))
            try await TransactionTests.accounts(db)
            keys = TransactionTests.keys(db, count: 3)
            try await db.table("Accounts").put(["id": .s(keys[1]), "owner": "old", "balance": 1])
            let tableID = try db.handle("Accounts").definition.id
            let shards = keys.map { TransactionTests.shard(db, $0) }
            // Record in keys[0]'s shard: keys[1] gets a new item (its part missing), keys[2] is
            // deleted (its part committed: the marker is there, and it must not be redone).
            let newItem: Item = ["id": .s(keys[1]), "owner": "new", "balance": 7]
            let entries = [
                TransactionLog.Entry(shard: shards[1], tableID: tableID, key: KeyEncoding.encode(partition: .s(keys[1]), sort: nil).key,
                                     value: ShardLayout.encodeValue(item: newItem, size: ItemValidation.size(of: newItem))),
                TransactionLog.Entry(shard: shards[2], tableID: tableID, key: KeyEncoding.encode(partition: .s(keys[2]), sort: nil).key, value: nil),
            ]
            let id: [UInt8] = Array(repeating: 7, count: 16)
            try await db.table("Accounts").put(["id": .s(keys[2]), "owner": "kept"])
            _ = try db.shards[shards[0]].writer.performSync { try $0.put(try $0.transactionsDatabase, key: TransactionLog.recordKey(id), value: TransactionLog.encode(entries)) }
            _ = try db.shards[shards[2]].writer.performSync { try $0.put(try $0.transactionsDatabase, key: TransactionLog.markerKey(id), value: []) }
            db.close()
        }
        let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 3, durability: .noSync))
        defer { db.close() }
        let t = db.table("Accounts")
        #expect(try await t.get(["id": .s(keys[1])]) == ["id": .s(keys[1]), "owner": "new", "balance": 7])
        #expect(try await t.get(["id": .s(keys[2])])?["owner"] == "kept")
        #expect(try await t.index("byOwner").query(["owner": "new"]).count == 1)
        #expect(try await t.index("byOwner").query(["owner": "old"]).isEmpty)
        let records = try StreamTests.records(db, "Accounts").flatMap { $0 }
        #expect(records.last { $0.keys["id"] == .s(keys[1]) }?.eventName == .modify)
        for shard in db.shards {
            #expect(try shard.writer.performSync { try $0.transactionKeys(prefix: UInt8(ascii: "D"), limit: 10).count
                + $0.transactionKeys(prefix: UInt8(ascii: "M"), limit: 10).count } == 0)
        }
    }
}

/// What the readers of the model check share with the test.
private final class ReaderProgress: Sendable {
    let stop = Atomic(false)
    let violations = Atomic(0)
    let reads = Atomic(0)
}
