import Foundation
import Testing
@testable import Shoal

@Suite struct IndexTests {
    /// A table with a sort key, three global indexes (one with a two-attribute partition and
    /// two-attribute sort key) and two local ones, every projection type.
    static func request(_ name: String) -> CreateTableRequest {
        var request = CreateTableRequest(tableName: name, partitionKey: ("pk", .s), sortKey: ("sk", .n))
        request.attributeDefinitions += [
            AttributeDefinition(attributeName: "email", attributeType: .s),
            AttributeDefinition(attributeName: "score", attributeType: .n),
            AttributeDefinition(attributeName: "region", attributeType: .s),
            AttributeDefinition(attributeName: "tier", attributeType: .n),
            AttributeDefinition(attributeName: "day", attributeType: .s),
            AttributeDefinition(attributeName: "blob", attributeType: .b),
        ]
        request.globalSecondaryIndexes = [
            GlobalSecondaryIndex("byEmail", partitionKey: "email", projection: .keysOnly),
            GlobalSecondaryIndex("byRegionScore", partitionKey: "region", sortKey: "score", projection: .include(["note"])),
            GlobalSecondaryIndex(indexName: "byRegionTier", keySchema: [
                KeySchemaElement(attributeName: "region", keyType: .hash), KeySchemaElement(attributeName: "tier", keyType: .hash),
                KeySchemaElement(attributeName: "day", keyType: .range), KeySchemaElement(attributeName: "score", keyType: .range),
            ], projection: .all),
        ]
        request.localSecondaryIndexes = [
            LocalSecondaryIndex(indexName: "byDay", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash),
                                                                KeySchemaElement(attributeName: "day", keyType: .range)], projection: .keysOnly),
            LocalSecondaryIndex(indexName: "byBlob", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash),
                                                                 KeySchemaElement(attributeName: "blob", keyType: .range)], projection: .all),
        ]
        return request
    }

    @Test func writesMaintainGlobalAndLocalIndexes() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        let t = db.table("Tbl")
        try await t.put(["pk": "a", "sk": 1, "email": "x@e", "region": "eu", "score": 5, "note": "n1", "other": "o"])
        try await t.put(["pk": "b", "sk": 1, "email": "y@e", "region": "eu", "score": 3])
        try await t.put(["pk": "c", "sk": 1, "region": "us", "score": 9])  // no email: not in byEmail
        #expect(try await t.index("byEmail").query(["email": "x@e"]) == [["pk": "a", "sk": 1, "email": "x@e"]])
        #expect(try await t.index("byEmail").query(["email": "nobody"]).isEmpty)
        let eu = try await t.index("byRegionScore").query(["region": "eu"])
        #expect(eu == [["pk": "b", "sk": 1, "region": "eu", "score": 3],
                       ["pk": "a", "sk": 1, "region": "eu", "score": 5, "note": "n1"]])
        // Moving an index key moves the entry; removing it drops the entry.
        try await t.update(["pk": "a", "sk": 1], .set("email", to: "z@e"))
        #expect(try await t.index("byEmail").query(["email": "x@e"]).isEmpty)
        #expect(try await t.index("byEmail").query(["email": "z@e"]).count == 1)
        try await t.update(["pk": "a", "sk": 1], .remove("email"))
        #expect(try await t.index("byEmail").query(["email": "z@e"]).isEmpty)
        try await t.delete(["pk": "b", "sk": 1])
        #expect(try await t.index("byRegionScore").query(["region": "eu"]).map { $0["pk"] } == ["a"])
        let description = try db.describeTable("Tbl").table
        #expect(description.globalSecondaryIndexes?.map(\.indexName) == ["byEmail", "byRegionScore", "byRegionTier"])
        #expect(description.globalSecondaryIndexes?.first { $0.indexName == "byRegionScore" }?.itemCount == 2)
        #expect(description.globalSecondaryIndexes?.first { $0.indexName == "byEmail" }?.itemCount == 0)
        #expect(description.localSecondaryIndexes?.map(\.indexName) == ["byDay", "byBlob"])
    }

    @Test func invalidIndexKeysAreRejectedAndChangeNothing() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        let t = db.table("Tbl")
        await expectError(.validation, "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: byEmail") {
            try await t.put(["pk": "a", "sk": 1, "email": 5])
        }
        await expectError(.validation, "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byEmail, IndexKey: email") {
            try await t.put(["pk": "a", "sk": 1, "email": ""])
        }
        try await t.put(["pk": "a", "sk": 1, "email": "x@e"])
        // An update that would make the key invalid fails whole: item and index stay as they were.
        await expectError(.validation, "One or more parameter values were invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: byEmail") {
            try await t.update(["pk": "a", "sk": 1], .set("email", to: 7))
        }
        #expect(try await t.get(["pk": "a", "sk": 1])?["email"] == "x@e")
        #expect(try await t.index("byEmail").query(["email": "x@e"]).count == 1)
    }

    @Test func createTableValidatesIndexes() async throws {
        let (db, dir) = try makeDatabase(shards: 1)
        defer { withExtendedLifetime(dir) {} }
        var r = IndexTests.request("Bad")
        r.attributeDefinitions.append(AttributeDefinition(attributeName: "unused", attributeType: .s))
        await expectError(.validation, "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [blob, day, email, pk, region, score, sk, tier, unused], keys used: [blob, day, email, pk, region, score, sk, tier]") {
            _ = try await db.createTable(r)
        }
        r = IndexTests.request("Bad")
        r.localSecondaryIndexes![0].keySchema[0].attributeName = "email"
        await expectError(.validation, "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: byDay. index hash key: email, table hash key: pk") {
            _ = try await db.createTable(r)
        }
        r = IndexTests.request("Bad")
        r.globalSecondaryIndexes!.append(GlobalSecondaryIndex("byEmail", partitionKey: "email"))
        await expectError(.validation, "One or more parameter values were invalid: Duplicate index name: byEmail") {
            _ = try await db.createTable(r)
        }
        r = IndexTests.request("Bad")
        r.globalSecondaryIndexes![0].projection = IndexProjection(.keysOnly, nonKeyAttributes: ["a"])
        await expectError(.validation, "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified") {
            _ = try await db.createTable(r)
        }
        r = IndexTests.request("Bad")
        r.globalSecondaryIndexes![1].projection = .include((0..<101).map { "a\($0)" })
        await expectError(.validation, "One or more parameter values were invalid: Number of projected attributes in all indexes exceeds limit of 100") {
            _ = try await db.createTable(r)
        }
        #expect(db.tableNames().isEmpty)
    }

    @Test func multiAttributeKeysQueryALeftPrefix() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        let t = db.table("Tbl")
        for i in 0..<30 {
            try await t.put(["pk": .s("p\(i)"), "sk": 0, "region": i % 2 == 0 ? "eu" : "us", "tier": .n(Number(i % 3)),
                             "day": .s("2026-01-0\(i % 5)"), "score": .n(Number(i))])
        }
        let index = t.index("byRegionTier")
        let all = try await index.query(["region": "eu", "tier": 0])
        let expected = (0..<30).filter { $0 % 2 == 0 && $0 % 3 == 0 }
            .sorted { ("2026-01-0\($0 % 5)", $0) < ("2026-01-0\($1 % 5)", $1) }
        #expect(all.map { $0["score"] } == expected.map { .n(Number($0)) })
        let day = try await index.query(["region": "eu", "tier": 0], sortEquals: ["day": "2026-01-01"], where: SortKeyCondition(name: "score", .greaterThan(0)))
        #expect(day.map { $0["score"] } == [.n(Number(6))])
        let prefix = try await index.query(["region": "eu", "tier": 0], where: SortKeyCondition(name: "day", .beginsWith("2026-01-0")), forward: false)
        #expect(prefix.map { $0["score"] } == expected.reversed().map { .n(Number($0)) })
        await expectError(.validation, "Query key condition not supported: every HASH key attribute of index byRegionTier needs an equality condition (missing: tier)") {
            _ = try await index.query(["region": "eu"])
        }
        await expectError(.validation, "Query key condition not supported: RANGE key attribute day of index byRegionTier needs an equality condition because a later RANGE key attribute (score) is constrained") {
            _ = try await index.query(["region": "eu", "tier": 0], where: SortKeyCondition(name: "score", .equal(1)))
        }
    }

    @Test func paginationOverManyEqualIndexKeysIsExact() async throws {
        let (db, dir) = try makeDatabase(shards: 4)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        let t = db.table("Tbl")
        for i in 0..<120 { try await t.put(["pk": .s("p\(i)"), "sk": .n(Number(i)), "region": "eu", "score": 1]) }
        for forward in [true, false] {
            var seen: [Item] = []
            var start: Item?
            repeat {
                let page = try await db.query(QueryRequest(tableName: "Tbl", keyConditionExpression: "#r = :r",
                                                           expressionAttributeNames: ["#r": "region"], expressionAttributeValues: [":r": "eu"],
                                                           scanIndexForward: forward, limit: 7, exclusiveStartKey: start, indexName: "byRegionScore"))
                seen += page.items.dictionaries
                start = page.lastEvaluatedKey
                if let start { #expect(Set(start.keys) == ["pk", "sk", "region", "score"]) }
            } while start != nil
            #expect(seen.count == 120)
            #expect(Set(seen.map { $0["pk"]! }).count == 120)
        }
        var scanned: [Item] = []
        var start: Item?
        repeat {
            let page = try await db.scan(ScanRequest(tableName: "Tbl", limit: 11, exclusiveStartKey: start, indexName: "byRegionScore"))
            scanned += page.items.dictionaries
            start = page.lastEvaluatedKey
        } while start != nil
        #expect(scanned.count == 120)
    }

    @Test func readRulesOfIndexes() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        try await db.table("Tbl").put(["pk": "a", "sk": 1, "day": "d1", "email": "e", "extra": "x"])
        await expectError(.validation, "Consistent reads are not supported on global secondary indexes") {
            _ = try await db.query(QueryRequest(tableName: "Tbl", keyCondition: KeyCondition(partitionKeyName: "email", partitionKeyValue: "e"),
                                                consistentRead: true, indexName: "byEmail"))
        }
        await expectError(.validation, "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byEmail because its projection type is not ALL") {
            _ = try await db.query(QueryRequest(tableName: "Tbl", keyCondition: KeyCondition(partitionKeyName: "email", partitionKeyValue: "e"),
                                                select: .allAttributes, indexName: "byEmail"))
        }
        await expectError(.validation, "The table does not have the specified index: nope") {
            _ = try await db.scan(ScanRequest(tableName: "Tbl", indexName: "nope"))
        }
        // A local index fetches what it does not project from the base item.
        let local = try await db.query(QueryRequest(tableName: "Tbl", keyCondition: KeyCondition(partitionKeyName: "pk", partitionKeyValue: "a"),
                                                    select: .allAttributes, consistentRead: true, indexName: "byDay"))
        #expect(local.items == [["pk": "a", "sk": 1, "day": "d1", "email": "e", "extra": "x"]])
        let projected = try await db.query(QueryRequest(tableName: "Tbl", keyCondition: KeyCondition(partitionKeyName: "pk", partitionKeyValue: "a"),
                                                        indexName: "byDay"))
        #expect(projected.items == [["pk": "a", "sk": 1, "day": "d1"]])
    }

    /// Reads decode only what an index holds: filters and projections see the projected attributes
    /// of a global index, an ALL index or a local one reading the base item sees everything asked for,
    /// and the consumed capacity counts the projected size.
    @Test func readsSeeWhatTheIndexProjects() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(IndexTests.request("Tbl"))
        let big = String(repeating: "x", count: 5000)
        try await db.table("Tbl").put(["pk": "a", "sk": 1, "email": "e", "region": "eu", "score": 3, "tier": 1, "day": "d1",
                                       "note": "n", "big": .s(big), "extra": "x"])
        func query(_ index: String, _ partition: [String: AttributeValue], projection: String? = nil, filter: String? = nil,
                   values: [String: AttributeValue]? = nil, select: Select? = nil) async throws -> QueryResponse {
            let names = partition.keys.sorted()
            let condition = names.map { "#k_\($0) = :k_\($0)" }.joined(separator: " AND ")
            var allValues = values ?? [:]
            var allNames: [String: String] = [:]
            for name in names {
                allValues[":k_\(name)"] = partition[name]
                allNames["#k_\(name)"] = name
            }
            return try await db.query(QueryRequest(tableName: "Tbl", keyConditionExpression: condition, filterExpression: filter,
                                                   projectionExpression: projection, expressionAttributeNames: allNames,
                                                   expressionAttributeValues: allValues, select: select, indexName: index))
        }
        // KEYS_ONLY: asking for a non-projected attribute is an error, as in DynamoDB; a filter on it fails.
        await expectError(.validation, "One or more parameter values were invalid: Global secondary index byEmail does not project the requested attribute extra; request only attributes the index projects") {
            _ = try await query("byEmail", ["email": "e"], projection: "pk, extra")
        }
        #expect(try await query("byEmail", ["email": "e"], projection: "pk").items == [["pk": "a"]])
        #expect(try await query("byEmail", ["email": "e"], filter: "extra = :x", values: [":x": "x"]).count == 0)
        let keysOnly = try await query("byEmail", ["email": "e"])
        #expect(keysOnly.items == [["pk": "a", "sk": 1, "email": "e"]])
        // INCLUDE: the included attribute is there, the others are not.
        #expect(try await query("byRegionScore", ["region": "eu"], filter: "note = :n", values: [":n": "n"]).count == 1)
        #expect(try await query("byRegionScore", ["region": "eu"]).items == [["pk": "a", "sk": 1, "region": "eu", "score": 3, "note": "n"]])
        #expect(try await query("byRegionScore", ["region": "eu"], select: .count).count == 1)
        // ALL: a projection and a filter read any attribute.
        let all = try await query("byRegionTier", ["region": "eu", "tier": 1], projection: "extra, note", filter: "big = :b", values: [":b": .s(big)])
        #expect(all.items == [["extra": "x", "note": "n"]])
        // A local KEYS_ONLY index asked for more reads it from the base item.
        #expect(try await query("byDay", ["pk": "a"], projection: "extra").items == [["extra": "x"]])
        #expect(try await query("byDay", ["pk": "a"], filter: "extra = :x", values: [":x": "x"], select: .count).count == 1)
        // Capacity: the KEYS_ONLY entry is small (0.5 unit), the ALL one carries the 5 KB item (1 unit, eventually consistent).
        #expect(keysOnly.consumedCapacity == 0.5)
        #expect(try await query("byRegionTier", ["region": "eu", "tier": 1]).consumedCapacity == 1)
    }

    /// Format 1 stored index entries without the projected item: a directory of that format opens
    /// (and is upgraded) only when it has no index; a newer format is refused.
    @Test func storageFormatIsCheckedOnOpen() async throws {
        let dir = TemporaryDirectory()
        let options = DatabaseOptions(shardCount: 2, durability: .noSync)
        do {
            let db = try Database.open(at: dir.path, options: options)
            _ = try await db.createTable(CreateTableRequest(tableName: "Plain", partitionKey: ("pk", .s)))
            try db.catalog.recordFormat(1)
            db.close()
        }
        do {
            let db = try Database.open(at: dir.path, options: options)
            #expect(try db.catalog.storedFormat() == Catalog.formatVersion)
            _ = try await db.createTable(IndexTests.request("Idx"))
            try db.catalog.recordFormat(1)
            db.close()
        }
        #expect(throws: ShoalError.self) { try Database.open(at: dir.path, options: options) }
        do {
            let db = try Database.open(at: dir.path, options: options)
            Issue.record("a format-1 directory with indexes opened: \(db.shardCount)")
        } catch {
            #expect("\(error)".contains("storage format 1"))
        }
    }

    @Test func globalIndexAddedToALoadedTableIsBackfilled() async throws {
        let (db, dir) = try makeDatabase(shards: 3)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Lds", partitionKey: ("id", .s)))
        let t = db.table("Lds")
        for i in 0..<1500 { try await t.put(["id": .s("i\(i)"), "g": .s("g\(i % 10)"), "n": .n(Number(i))]) }
        let description = try await db.updateTable(UpdateTableRequest(
            tableName: "Lds", attributeDefinitions: [AttributeDefinition(attributeName: "g", attributeType: .s)],
            globalSecondaryIndexUpdates: [.create(GlobalSecondaryIndex("byG", partitionKey: "g", projection: .keysOnly))]))
        #expect(description.globalSecondaryIndexes?.first?.indexStatus == .creating)
        #expect(description.globalSecondaryIndexes?.first?.backfilling == true)
        // Writes during the backfill: new items, moved keys, deletions.
        for i in 0..<200 {
            try await t.put(["id": .s("new\(i)"), "g": "g0"])
            try await t.update(["id": .s("i\(i)")], .set("g", to: "moved"))
            try await t.delete(["id": .s("i\(1000 + i)")])
        }
        try await waitUntilActive(db, table: "Lds", index: "byG")
        #expect(try await t.index("byG").query(["g": "moved"]).count == 200)
        let g0 = try await t.index("byG").query(["g": "g0"])
        // i0…i1499 with i % 10 == 0, minus the 20 moved (i < 200) and the 20 deleted (1000 ≤ i < 1200), plus 200 new.
        let expectedG0: Int = 150 - 20 - 20 + 200
        #expect(g0.count == expectedG0)
        try await checkIndexesMatchRebuild(db, table: "Lds")
        let stats = try db.describeTable("Lds").table.globalSecondaryIndexes![0]
        let expectedEntries: Int = 1500 - 200 + 200
        #expect(stats.itemCount == expectedEntries)
        // Delete it again: gone from the description, its storage emptied.
        let deleting = try await db.updateTable(UpdateTableRequest(tableName: "Lds", globalSecondaryIndexUpdates: [.delete(indexName: "byG")]))
        #expect(deleting.globalSecondaryIndexes?.first?.indexStatus == .deleting)
        #expect(try db.describeTable("Lds").table.globalSecondaryIndexes == nil)
        #expect(try db.describeTable("Lds").table.attributeDefinitions.map(\.attributeName) == ["id"])
    }

    @Test func randomizedWritesKeepEveryIndexEqualToARebuild() async throws {
        let dir = TemporaryDirectory()
        var db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 3, durability: .noSync))
        _ = try await db.createTable(IndexTests.request("Mdl"))
        var g = SeededGenerator(seed: 0x1D3E)
        var model: [String: Item] = [:]
        func randomItem(_ g: inout SeededGenerator, pk: String, sk: Int) -> Item {
            var item: Item = ["pk": .s(pk), "sk": .n(Number(sk))]
            if Bool.random(using: &g) { item["email"] = .s("e\(Int.random(in: 0..<6, using: &g))") }
            if Int.random(in: 0..<4, using: &g) > 0 { item["region"] = .s(["eu", "us"][Int.random(in: 0..<2, using: &g)]) }
            if Bool.random(using: &g) { item["score"] = .n(Number(Int.random(in: -3...3, using: &g))) }
            if Bool.random(using: &g) { item["tier"] = .n(Number(Int.random(in: 0..<2, using: &g))) }
            if Bool.random(using: &g) { item["day"] = .s("d\(Int.random(in: 0..<4, using: &g))" + String(repeating: "z", count: Int.random(in: 0..<2, using: &g) * 400)) }
            if Bool.random(using: &g) { item["blob"] = .b([UInt8(Int.random(in: 0..<3, using: &g)), 0]) }
            if Bool.random(using: &g) { item["note"] = .s("n\(Int.random(in: 0..<100, using: &g))") }
            return item
        }
        for step in 0..<600 {
            let pk = "p\(Int.random(in: 0..<8, using: &g))"
            let sk = Int.random(in: 0..<5, using: &g)
            let id = "\(pk)/\(sk)"
            switch Int.random(in: 0..<4, using: &g) {
            case 0:
                let item = randomItem(&g, pk: pk, sk: sk)
                try await db.table("Mdl").put(item)
                model[id] = item
            case 1:
                var update = UpdateExpression()
                let source = randomItem(&g, pk: pk, sk: sk)
                for name in ["email", "region", "score", "tier", "day", "note"] where Bool.random(using: &g) {
                    if let value = source[name] { update.set.append(.init(path: DocumentPath(attribute: name), value: .value(value))) } else { update.remove.append(DocumentPath(attribute: name)) }
                }
                if update.set.isEmpty && update.remove.isEmpty { update.set.append(.init(path: DocumentPath(attribute: "note"), value: .value("u"))) }
                let after = try await db.table("Mdl").update(["pk": .s(pk), "sk": .n(Number(sk))], update)
                if let after { model[id] = after } else { model[id] = nil }
            case 2:
                try await db.table("Mdl").delete(["pk": .s(pk), "sk": .n(Number(sk))])
                model[id] = nil
            default:
                var requests: [WriteRequest] = []
                var touched: Set<String> = []
                for _ in 0..<Int.random(in: 1...5, using: &g) {
                    let bpk = "p\(Int.random(in: 0..<8, using: &g))", bsk = Int.random(in: 0..<5, using: &g)
                    guard touched.insert("\(bpk)/\(bsk)").inserted else { continue }
                    if Bool.random(using: &g) {
                        let item = randomItem(&g, pk: bpk, sk: bsk)
                        requests.append(.put(item))
                        model["\(bpk)/\(bsk)"] = item
                    } else {
                        requests.append(.delete(key: ["pk": .s(bpk), "sk": .n(Number(bsk))]))
                        model["\(bpk)/\(bsk)"] = nil
                    }
                }
                let response = try await db.batchWriteItem(BatchWriteItemRequest(requestItems: ["Mdl": requests]))
                #expect(response.unprocessedItems.isEmpty)
            }
            if step % 200 == 199 {
                try await checkIndexesMatchRebuild(db, table: "Mdl")
                try await checkQueriesMatchModel(db, model: model)
            }
        }
        db.close()
        db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: 3, durability: .noSync))
        try await checkIndexesMatchRebuild(db, table: "Mdl")
        try await checkQueriesMatchModel(db, model: model)
        db.close()
    }

    /// Every index query answer equals the model's, in DynamoDB's order.
    private func checkQueriesMatchModel(_ db: Database, model: [String: Item], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let t = db.table("Mdl")
        let items = Array(model.values)
        func order(_ a: [AttributeValue], _ b: [AttributeValue]) -> Bool {
            for (x, y) in zip(a, b) { let c = KeyEncoding.compare(x, y); if c != 0 { return c < 0 } }
            return false
        }
        for email in (0..<6).map({ AttributeValue.s("e\($0)") }) {
            let got = try await t.index("byEmail").query(["email": email])
            let want = items.filter { $0["email"] == email }
            #expect(Set(got.map { "\($0["pk"]!)\($0["sk"]!)" }) == Set(want.map { "\($0["pk"]!)\($0["sk"]!)" }), sourceLocation: sourceLocation)
            #expect(got.allSatisfy { Set($0.keys) == ["pk", "sk", "email"] }, sourceLocation: sourceLocation)
        }
        for region in ["eu", "us"].map({ AttributeValue.s($0) }) {
            let got = try await t.index("byRegionScore").query(["region": region])
            let want = items.filter { $0["region"] == region && $0["score"] != nil }
            #expect(got.count == want.count, sourceLocation: sourceLocation)
            #expect(got.map { $0["score"]! } == want.map { $0["score"]! }.sorted { KeyEncoding.compare($0, $1) < 0 }, sourceLocation: sourceLocation)
            for tier in [0, 1] {
                let got = try await t.index("byRegionTier").query(["region": region, "tier": .n(Number(tier))], forward: false)
                let want = items.filter { $0["region"] == region && $0["tier"] == .n(Number(tier)) && $0["day"] != nil && $0["score"] != nil }
                #expect(got.count == want.count, sourceLocation: sourceLocation)
                let gotKeys = got.map { [$0["day"]!, $0["score"]!] }
                #expect(gotKeys == want.map { [$0["day"]!, $0["score"]!] }.sorted { order($1, $0) }, sourceLocation: sourceLocation)
                #expect(Set(got.dictionaries) == Set(want), sourceLocation: sourceLocation)
            }
        }
        for pk in (0..<8).map({ AttributeValue.s("p\($0)") }) {
            let got = try await t.index("byBlob").query(["pk": pk])
            let want = items.filter { $0["pk"] == pk && $0["blob"] != nil }
            #expect(got.map { $0["blob"]! } == want.map { $0["blob"]! }.sorted { KeyEncoding.compare($0, $1) < 0 }, sourceLocation: sourceLocation)
            let days = try await t.index("byDay").query(["pk": pk], where: SortKeyCondition(name: "day", .beginsWith("d1")))
            let wantDays = items.filter { item in
                guard item["pk"] == pk, case .s(let day)? = item["day"] else { return false }
                return day.hasPrefix("d1")
            }
            #expect(days.count == wantDays.count, sourceLocation: sourceLocation)
        }
    }
}

/// Waits (bounded) until a global index is ACTIVE.
func waitUntilActive(_ db: Database, table: String, index: String) async throws {
    for _ in 0..<1000 {
        if try db.describeTable(table).table.globalSecondaryIndexes?.first(where: { $0.indexName == index })?.indexStatus == .active { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("index \(index) did not become ACTIVE")
}

/// Every index database, in every shard, holds exactly the entries a rebuild from the items gives,
/// and the size counters agree with a recount.
func checkIndexesMatchRebuild(_ db: Database, table: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let handle = try db.handle(table)
    for (shardIndex, shard) in db.shards.enumerated() {
        let storage = handle.storages[shardIndex]
        try shard.environment.read { txn in
            var items: [([UInt8], Item, Int)] = []
            try txn.withCursor(storage.items) { cursor in
                var more = try cursor.first()
                while more {
                    let (item, size) = try ShardLayout.decodeValue(cursor.value.array)
                    items.append((cursor.key.array, item, size))
                    more = try cursor.next()
                }
            }
            for index in storage.indexes {
                // Entry key → the base key and exactly what the index projects, with its size.
                struct Entry: Equatable {
                    var baseKey: [UInt8]
                    var projected: Item
                    var size: Int
                }
                var expected: [[UInt8]: Entry] = [:]
                var expectedSize = 0
                for (key, item, size) in items {
                    if let entry = try? index.rules.entryKey(of: item, baseKey: key) {
                        let projected = index.rules.project(item)
                        expected[entry] = Entry(baseKey: key, projected: projected, size: ItemValidation.size(of: projected))
                        expectedSize += index.rules.entrySize(of: item, itemSize: size)
                    }
                }
                var actual: [[UInt8]: Entry] = [:]
                try txn.withCursor(index.db) { cursor in
                    var more = try cursor.first()
                    while more {
                        let value = cursor.value.array
                        let (baseKey, offset) = try IndexKeyEncoding.splitEntryValue(value)
                        let (projected, size) = try ShardLayout.decodeValue(Array(value[offset...]))
                        actual[cursor.key.array] = Entry(baseKey: baseKey, projected: projected, size: size)
                        more = try cursor.next()
                    }
                }
                #expect(actual == expected, "index \(index.rules.name) in shard \(shardIndex)", sourceLocation: sourceLocation)
                let recorded = try txn.get(shard.statistics, key: ShardLayout.indexSizeKey(handle.definition.id, index.id)).map(ShardLayout.decodeInt) ?? 0
                #expect(recorded == expectedSize, "size of \(index.rules.name) in shard \(shardIndex)", sourceLocation: sourceLocation)
            }
        }
    }
}
