import Testing
@testable import Shoal

/// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction in the embedded API: how each
/// SELECT is planned, paging, every write statement with its errors, and that PartiQL writes go
/// through the one write path (indexes, streams).
@Suite struct PartiQLTests {
    private func setUp(shards: Int = 3) async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase(shards: shards)
        var music = CreateTableRequest(tableName: "Music", partitionKey: ("Artist", .s), sortKey: ("Song", .n))
        music.attributeDefinitions.append(AttributeDefinition(attributeName: "genre", attributeType: .s))
        music.globalSecondaryIndexes = [GlobalSecondaryIndex("byGenre", partitionKey: "genre", sortKey: "Song", projection: .all)]
        music.streamSpecification = .enabled(.newAndOldImages)
        _ = try await db.createTable(music)
        _ = try await db.createTable(CreateTableRequest(tableName: "Users", partitionKey: ("id", .s)))
        for artist in ["a", "b", "c"] {
            for song in 1...5 {
                try await db.table("Music").put(["Artist": .s(artist), "Song": .n(Number(song)), "genre": song % 2 == 0 ? "rock" : "jazz",
                                                 "plays": .n(Number(song * 10))])
            }
        }
        return (db, dir)
    }

    private func plan(_ db: Database, _ text: String, _ parameters: [AttributeValue] = []) throws -> PartiQLSelectPlan {
        guard case .select(let select) = try PartiQLParser.parse(text) else { throw ShoalError.validation("not a select") }
        return try PartiQLSelectPlan(select, binding: try PartiQLBinding(parameters, for: .select(select)), database: db)
    }

    private func songs(_ items: [LazyItem]) -> [String] {
        items.map { item in
            guard case .s(let a)? = item["Artist"], case .n(let s)? = item["Song"] else { return "?" }
            return "\(a)\(s)"
        }
    }

    @Test func planner() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist = 'a' AND Song = 2").access == .point(["Artist": "a", "Song": 2]))
        let point = try plan(db, "SELECT * FROM Music WHERE Song = ? AND plays > 3 AND Artist = ?", [2, "a"])
        #expect(point.access == .point(["Artist": "a", "Song": 2]))
        #expect(point.filter == .comparison(.path("plays"), .greater, .value(3)))
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist = 'a'").access == .query(partitions: ["a"], sort: nil))
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist IN ['a', 'b', 'a', 7]").access == .query(partitions: ["a", "b"], sort: nil))
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist = 'b' OR Artist = 'a'").access == .query(partitions: ["b", "a"], sort: nil))
        let ranged = try plan(db, "SELECT * FROM Music WHERE Artist = 'a' AND Song BETWEEN 2 AND 4 AND plays <> 0")
        #expect(ranged.access == .query(partitions: ["a"], sort: SortKeyCondition(name: "Song", .between(2, 4))))
        #expect(ranged.filter == .comparison(.path("plays"), .notEqual, .value(0)))
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist = 'a' AND 3 > Song").access
            == .query(partitions: ["a"], sort: SortKeyCondition(name: "Song", .lessThan(3))))
        // A partition pinned only inside an OR with other conditions: queried, the whole clause filters.
        let mixed = try plan(db, "SELECT * FROM Music WHERE (Artist = 'a' AND plays = 10) OR Artist = 'b'")
        #expect(mixed.access == .query(partitions: ["a", "b"], sort: nil))
        #expect(mixed.filter != nil)
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist = 'a' OR plays = 1").access == .scan)
        #expect(try plan(db, "SELECT * FROM Music WHERE Artist > 'a'").access == .scan)
        #expect(try plan(db, "SELECT * FROM Music").access == .scan)
        #expect(try plan(db, #"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock'"#).access == .query(partitions: ["rock"], sort: nil))
        #expect(try plan(db, #"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock' AND Artist = 'a' AND Song = 2"#).access
            == .query(partitions: ["rock"], sort: SortKeyCondition(name: "Song", .equal(2))))
        #expect(try plan(db, "SELECT * FROM Users WHERE id = 'u'").access == .point(["id": "u"]))
    }

    @Test func selectsMatchQueryAndScan() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        #expect(songs(try await db.execute("SELECT * FROM Music WHERE Artist = 'b'").items) == ["b1", "b2", "b3", "b4", "b5"])
        #expect(songs(try await db.execute("SELECT * FROM Music WHERE Artist = 'b' ORDER BY Song DESC").items) == ["b5", "b4", "b3", "b2", "b1"])
        #expect(songs(try await db.execute("SELECT * FROM Music WHERE Artist IN ['c', 'a'] AND Song >= 4").items) == ["c4", "c5", "a4", "a5"])
        #expect(songs(try await db.execute("SELECT * FROM Music WHERE Artist IN ['c', 'a'] AND Song = 1 ORDER BY Artist").items) == ["a1", "c1"])
        #expect(songs(try await db.execute("SELECT * FROM Music WHERE Artist = ? AND begins_with(genre, 'ro')", parameters: ["a"]).items) == ["a2", "a4"])
        let scanned = try await db.execute("SELECT Artist, Song FROM Music WHERE plays >= 40 AND NOT Artist = 'a'")
        #expect(Set(songs(scanned.items)) == ["b4", "b5", "c4", "c5"])
        #expect(scanned.items.allSatisfy { $0.count == 2 })
        let one = try await db.execute("SELECT plays FROM Music WHERE Artist = 'c' AND Song = 3")
        #expect(one.items == [["plays": 30]])
        #expect(one.consumedCapacity == 0.5)
        #expect(try await db.execute("SELECT * FROM Music WHERE Artist = 'c' AND Song = 3 AND plays = 1").items.isEmpty)
        #expect(try await db.execute("SELECT * FROM Music WHERE Artist = 'zz' AND Song = 3").items.isEmpty)
        let byIndex = try await db.execute(#"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock' AND Song = 4"#)
        #expect(Set(songs(byIndex.items)) == ["a4", "b4", "c4"])
        let missing = try await db.execute("SELECT * FROM Music WHERE absent IS MISSING AND plays IS NOT NULL AND attribute_type(genre, 'S')")
        #expect(missing.items.count == 15)
        #expect(try await db.execute("SELECT * FROM Music WHERE size(genre) = 4 AND contains(genre, 'oc')").items.count == 6)
        // A path into a value comes back under its last step's name.
        _ = try await db.execute("INSERT INTO Users VALUE {'id': 'n', 'profile': {'sub': 'deep', 'sib': 1}, 'tags': ['a', 'b']}")
        let nested = try await db.execute("SELECT profile.sub, tags[1], id, profile.absent FROM Users WHERE id = 'n'")
        #expect(nested.items == [["sub": "deep", "tags[1]": "b", "id": "n"]])
    }

    @Test func pagingWithLimitAndNextToken() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        for statement in ["SELECT * FROM Music", "SELECT * FROM Music WHERE Artist IN ['a', 'b', 'c']",
                          "SELECT * FROM Music WHERE Artist = 'a' OR Artist = 'c' OR plays = 20"] {
            var collected: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try await db.execute(statement, limit: 4, nextToken: token)
                #expect(page.items.count <= 4)
                collected += songs(page.items)
                token = page.nextToken
                pages += 1
            } while token != nil && pages < 20
            let expected = statement.contains("plays") ? 11 : 15
            #expect(collected.count == expected, "\(statement)")
            #expect(Set(collected).count == expected)
        }
        let first = try await db.execute("SELECT * FROM Music WHERE Artist = 'a'", limit: 2)
        #expect(first.lastEvaluatedKey == ["Artist": "a", "Song": 2])
        let token = try #require(first.nextToken)
        await expectError(.validation, "The provided NextToken is not valid for this statement and its parameters") {
            _ = try await db.execute("SELECT * FROM Music WHERE Artist = 'b'", limit: 2, nextToken: token)
        }
        await expectError(.validation, "The provided NextToken is not valid for this statement and its parameters") {
            _ = try await db.execute("SELECT * FROM Music WHERE Artist = 'a'", limit: 2, nextToken: "AAAA" + token.dropFirst(4))
        }
    }

    @Test func insertUpdateDelete() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.execute("INSERT INTO Users VALUE {'id': 'u1', 'n': 1, 'tags': <<'x'>>, 'l': [1], 'm': {'k': 'v'}}")
        await expectError(.duplicateItem, "Duplicate primary key exists in table") {
            _ = try await db.execute("INSERT INTO Users VALUE {'id': 'u1'}")
        }
        let updated = try await db.execute("""
            UPDATE Users SET n = n + 2, l = list_append(l, [2]), tags = set_add(tags, <<'y'>>), m.k = 'w', fresh = ? REMOVE gone
            WHERE id = 'u1' RETURNING ALL NEW *
            """, parameters: [.bool(true)])
        #expect(updated.items == [["id": "u1", "n": 3, "tags": .ss(["x", "y"]), "l": .l([1, 2]), "m": .m(["k": "w"]), "fresh": true]])
        let modified = try await db.execute("UPDATE Users SET n = n - 1 WHERE id = 'u1' RETURNING MODIFIED OLD *")
        #expect(modified.items == [["n": 3]])
        _ = try await db.execute("UPDATE Users SET tags = set_delete(tags, <<'x', 'y'>>) WHERE id = 'u1'")
        #expect(try await db.table("Users").get(["id": "u1"])?["tags"] == nil)
        // UPDATE changes an item that is there, and only when the rest of WHERE holds.
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.execute("UPDATE Users SET n = 1 WHERE id = 'nobody'")
        }
        #expect(try await db.table("Users").get(["id": "nobody"]) == nil)
        do {
            _ = try await db.executeStatement(ExecuteStatementRequest(statement: "UPDATE Users SET n = 9 WHERE id = 'u1' AND n = 100",
                                                                      returnValuesOnConditionCheckFailure: .allOld))
            Issue.record("the condition should fail")
        } catch {
            #expect(error.kind == .conditionalCheckFailed)
            #expect(error.item?["n"] == 2)
        }
        await expectError(.validation, "Where clause does not contain a mandatory equality on all key attributes") {
            _ = try await db.execute("UPDATE Music SET x = 1 WHERE Artist = 'a'")
        }
        await expectError(.validation, "Where clause does not contain a mandatory equality on all key attributes") {
            _ = try await db.execute("DELETE FROM Music WHERE Artist = 'a' OR Song = 1")
        }
        await expectError(.validation, "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key") {
            _ = try await db.execute("UPDATE Users SET id = 'x' WHERE id = 'u1'")
        }
        // DELETE: absent is success; present but failing the condition is not.
        #expect(try await db.execute("DELETE FROM Users WHERE id = 'nobody' AND n = 1").items.isEmpty)
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.execute("DELETE FROM Users WHERE id = 'u1' AND n = 1")
        }
        let deleted = try await db.execute("DELETE FROM Users WHERE id = ? AND n = ? RETURNING ALL OLD *", parameters: ["u1", 2])
        #expect(deleted.items.first?["id"] == "u1")
        #expect(deleted.hasItems)
        let again = try await db.execute("DELETE FROM Users WHERE id = 'u1' RETURNING ALL OLD *")
        #expect(again.items.isEmpty && again.hasItems)
        #expect(try await db.execute("DELETE FROM Users WHERE id = 'u1'").hasItems == false)
        _ = try await db.execute("INSERT INTO Users VALUE {'id': 'r', 'data': 'old'}")
        #expect(try await db.execute("UPDATE Users SET fresh = 1 WHERE id = 'r' RETURNING MODIFIED OLD *").items.isEmpty)
        #expect(try await db.execute("UPDATE Users REMOVE data WHERE id = 'r' RETURNING MODIFIED NEW *").items.isEmpty)
        #expect(try await db.table("Users").get(["id": "u1"]) == nil)
    }

    /// A statement run again is not parsed again, and the point read it compiles to follows the
    /// table: a table dropped and created again under the name with another key is read by its new key.
    @Test func compiledStatementsFollowTheTable() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Swap", partitionKey: ("id", .s)))
        try await db.table("Swap").put(["id": "a", "v": 1])
        let statement = "SELECT * FROM Swap WHERE id = ? AND k = ?"
        // Without a sort key, `k = ?` filters the one item read.
        #expect(try await db.execute(statement, parameters: ["a", 1]).items.isEmpty)
        #expect(try await db.execute("SELECT * FROM Swap WHERE id = ? AND v = ?", parameters: ["a", 1]).items == [["id": "a", "v": 1]])
        _ = try await db.deleteTable("Swap")
        _ = try await db.createTable(CreateTableRequest(tableName: "Swap", partitionKey: ("id", .s), sortKey: ("k", .n)))
        try await db.table("Swap").put(["id": "a", "k": 1, "v": 2])
        #expect(try await db.execute(statement, parameters: ["a", 1]).items == [["id": "a", "k": 1, "v": 2]])
        // A key value of another type than the key matches nothing, by either plan.
        #expect(try await db.execute(statement, parameters: ["a", "1"]).items.isEmpty)
        #expect(try await db.execute(statement, parameters: [1, 1]).items.isEmpty)
        await expectError(.validation, "Number of parameters in request and statement don't match.") {
            _ = try await db.execute(statement, parameters: ["a"])
        }
        // Many distinct statements: the cache starts over and every answer stays right.
        for i in 0..<(PartiQLStatementCache.capacity + 10) {
            let page = try await db.execute("SELECT v FROM Swap WHERE id = 'a' AND k = 1 AND v <> \(i)")
            #expect(page.items == (i == 2 ? [] : [["v": 2]]))
        }
    }

    /// The Developer Guide's data-type examples, run as written.
    @Test func developerGuideDataTypeExamples() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "TypesTable", partitionKey: ("primarykey", .s)))
        _ = try await db.execute("""
            INSERT INTO TypesTable value {'primarykey':'1',
            'NumberType':1,
            'MapType' : {'entryname1': 'value', 'entryname2': 4},
            'ListType': [1,'stringval'],
            'NumberSetType':<<1,34,32,4.5>>,
            'StringSetType':<<'stringval','stringval2'>>
            }
            """)
        _ = try await db.execute("""
            UPDATE TypesTable
            SET NumberType=NumberType + 100
            SET MapType.NewMapEntry=[2020, 'stringvalue', 2.4]
            SET ListType = LIST_APPEND(ListType, [4, <<'string1', 'string2'>>])
            SET NumberSetType= SET_ADD(NumberSetType, <<345, 48.4>>)
            SET StringSetType = SET_ADD(StringSetType, <<'stringsetvalue1', 'stringsetvalue2'>>)
            WHERE primarykey='1'
            """)
        var item = try #require(try await db.table("TypesTable").get(["primarykey": "1"]))
        #expect(item["NumberType"] == 101)
        #expect(item["MapType"] == .m(["entryname1": "value", "entryname2": 4,
                                       "NewMapEntry": .l([2020, "stringvalue", .n(try Number("2.4"))])]))
        #expect(item["ListType"] == .l([1, "stringval", 4, .ss(["string1", "string2"])]))
        #expect(item["NumberSetType"] == .ns([1, 34, 32, try Number("4.5"), 345, try Number("48.4")]))
        #expect(item["StringSetType"] == .ss(["stringval", "stringval2", "stringsetvalue1", "stringsetvalue2"]))
        _ = try await db.execute("""
            UPDATE TypesTable
            SET NumberType=NumberType - 1
            REMOVE ListType[1]
            REMOVE MapType.NewMapEntry
            SET NumberSetType = SET_DELETE( NumberSetType, <<345>>)
            SET StringSetType = SET_DELETE( StringSetType, <<'stringsetvalue1'>>)
            WHERE primarykey='1'
            """)
        item = try #require(try await db.table("TypesTable").get(["primarykey": "1"]))
        #expect(item["NumberType"] == 100)
        #expect(item["MapType"] == .m(["entryname1": "value", "entryname2": 4]))
        #expect(item["ListType"] == .l([1, 4, .ss(["string1", "string2"])]))
        #expect(item["NumberSetType"] == .ns([1, 34, 32, try Number("4.5"), try Number("48.4")]))
        #expect(item["StringSetType"] == .ss(["stringval", "stringval2", "stringsetvalue2"]))
        #expect(try await db.execute("SELECT * FROM TypesTable WHERE primarykey = 'it''s here'").items.isEmpty)
    }

    @Test func statementErrors() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        await expectError(.validation, "Number of parameters in request and statement don't match.") {
            _ = try await db.execute("SELECT * FROM Music WHERE Artist = ?")
        }
        await expectError(.validation, "Number of parameters in request and statement don't match.") {
            _ = try await db.execute("SELECT * FROM Music WHERE Artist = 'a'", parameters: ["extra"])
        }
        await expectError(.resourceNotFound, "Requested resource not found") {
            _ = try await db.execute("SELECT * FROM Nope WHERE a = 1")
        }
        await expectError(.validation, "Must have WHERE clause in the statement when using ORDER BY clause.") {
            _ = try await db.execute("SELECT * FROM Music ORDER BY Song")
        }
        await expectError(.validation, "ORDER BY can only name the key attributes of the table or index; plays is not one") {
            _ = try await db.execute("SELECT * FROM Music WHERE Artist = 'a' ORDER BY plays")
        }
        await expectError(.validation, "Unsupported operation: INSERT takes one item, written as a map literal {'name': value, …} or a map parameter") {
            _ = try await db.execute("INSERT INTO Users VALUE [1]")
        }
        await expectError(.validation, "Unsupported operation: EXISTS can only be used as a statement of ExecuteTransaction") {
            _ = try await db.execute("EXISTS(SELECT * FROM Users WHERE id = 'a')")
        }
        await expectError(.validation, "The elements of a set must all be strings, all numbers or all binary values") {
            _ = try await db.execute("INSERT INTO Users VALUE {'id': 'x', 's': <<'a', 1>>}")
        }
        await expectError(.validation, "One or more parameter values were invalid: Missing the key id in the item") {
            _ = try await db.execute("INSERT INTO Users VALUE {'other': 'x'}")
        }
        await expectError(.validation, "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1") {
            _ = try await db.executeStatement(ExecuteStatementRequest(statement: "SELECT * FROM Users", parameters: []))
        }
    }

    @Test func writesGoThroughTheWritePath() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.execute("INSERT INTO Music VALUE {'Artist': 'z', 'Song': 1, 'genre': 'pop'}")
        _ = try await db.execute("UPDATE Music SET genre = 'rock' WHERE Artist = 'z' AND Song = 1")
        #expect(songs(try await db.execute(#"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock' AND Artist = 'z'"#).items) == ["z1"])
        _ = try await db.execute("DELETE FROM Music WHERE Artist = 'z' AND Song = 1")
        #expect(try await db.execute(#"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock' AND Artist = 'z'"#).items.isEmpty)
        let records = try StreamTests.records(db, "Music").flatMap { $0 }.filter { $0.keys["Artist"] == "z" }
        #expect(records.map(\.eventName) == [.insert, .modify, .remove])
        #expect(records[1].oldImage?["genre"] == "pop")
        #expect(records[1].newImage?["genre"] == "rock")
        #expect(records[2].oldImage?["genre"] == "rock")
        #expect(records[2].newImage == nil)
    }

    @Test func batches() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let reads = try await db.executeBatch([
            BatchStatementRequest(statement: "SELECT plays FROM Music WHERE Artist = ? AND Song = ?", parameters: ["a", 1]),
            BatchStatementRequest(statement: "SELECT * FROM Music WHERE Artist = 'zz' AND Song = 1", consistentRead: true),
            BatchStatementRequest(statement: "SELECT * FROM Music WHERE Artist = 'a'"),
            BatchStatementRequest(statement: "SELECT * FROM Nope WHERE id = 'a'"),
            BatchStatementRequest(statement: "SELECT * FROM"),
        ])
        #expect(reads.responses[0] == BatchStatementResponse(tableName: "Music", item: ["plays": 10]))
        #expect(reads.responses[1] == BatchStatementResponse(tableName: "Music"))
        #expect(reads.responses[2].error?.code == "ValidationError")
        #expect(reads.responses[2].error?.message == "Where clause does not contain a mandatory equality on all key attributes")
        #expect(reads.responses[3].error?.code == "ResourceNotFound")
        #expect(reads.responses[4].error?.code == "ValidationError")
        #expect(reads.consumedCapacity.first?.readUnits == 1.5)
        let writes = try await db.executeBatch([
            BatchStatementRequest(statement: "INSERT INTO Users VALUE {'id': 'w1'}"),
            BatchStatementRequest(statement: "INSERT INTO Users VALUE {'id': 'w1'}"),
            BatchStatementRequest(statement: "UPDATE Users SET v = 1 WHERE id = 'absent'", returnValuesOnConditionCheckFailure: .allOld),
            BatchStatementRequest(statement: "UPDATE Music SET v = 1 WHERE Artist = 'a' AND Song = 1"),
        ])
        #expect(writes.responses.map { $0.error?.code } == [nil, "DuplicateItem", "ConditionalCheckFailed", nil])
        #expect(writes.responses[2].error?.message == "The conditional request failed")
        #expect(writes.responses[2].error?.item == nil)   // the key holds no item
        let failed = try await db.executeBatch([BatchStatementRequest(
            statement: "UPDATE Music SET v = 9 WHERE Artist = 'a' AND Song = 1 AND plays = 0", returnValuesOnConditionCheckFailure: .allOld)])
        #expect(failed.responses[0].error?.code == "ConditionalCheckFailed")
        #expect(failed.responses[0].error?.item?["plays"] == 10)
        #expect(try await db.table("Music").get(["Artist": "a", "Song": 1])?["v"] == 1)
        let returning = try await db.executeBatch([
            BatchStatementRequest(statement: "UPDATE Music SET v = 2 WHERE Artist = 'a' AND Song = 1 RETURNING MODIFIED NEW *"),
            BatchStatementRequest(statement: "DELETE FROM Music WHERE Artist = 'a' AND Song = 1 RETURNING MODIFIED OLD *"),
        ])
        #expect(returning.responses[0].item == ["v": 2])
        #expect(returning.responses[1].error == BatchStatementError(
            code: "ValidationError", message: "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements."))
        #expect(returning.responses[1].tableName == nil)
        await expectError(.validation, "Batch statements must all be reads or all be writes: a batch cannot mix SELECT with INSERT, UPDATE or DELETE") {
            _ = try await db.executeBatch([BatchStatementRequest(statement: "SELECT * FROM Users WHERE id = 'a'"),
                                           BatchStatementRequest(statement: "DELETE FROM Users WHERE id = 'a'")])
        }
        await expectError(.validation, "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25") {
            _ = try await db.executeBatch(Array(repeating: BatchStatementRequest(statement: "SELECT * FROM Users WHERE id = 'a'"), count: 26))
        }
    }

    @Test func transactions() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        // All or nothing across shards: the failing EXISTS cancels the INSERT and the UPDATE.
        do {
            _ = try await db.executeTransaction([
                ParameterizedStatement(statement: "INSERT INTO Users VALUE {'id': 't1'}"),
                ParameterizedStatement(statement: "UPDATE Music SET v = 1 WHERE Artist = 'b' AND Song = 2"),
                ParameterizedStatement(statement: "EXISTS(SELECT * FROM Music WHERE Artist = 'c' AND Song = 3 AND plays = 1)"),
            ])
            Issue.record("the transaction should be cancelled")
        } catch {
            #expect(error.kind == .transactionCanceled)
            #expect(error.cancellationReasons?.map(\.code) == ["None", "None", "ConditionalCheckFailed"])
        }
        #expect(try await db.table("Users").get(["id": "t1"]) == nil)
        #expect(try await db.table("Music").get(["Artist": "b", "Song": 2])?["v"] == nil)
        _ = try await db.executeTransaction([
            ParameterizedStatement(statement: "INSERT INTO Users VALUE {'id': ?}", parameters: ["t1"]),
            ParameterizedStatement(statement: "UPDATE Music SET v = 1 WHERE Artist = 'b' AND Song = 2"),
            ParameterizedStatement(statement: "EXISTS(SELECT * FROM Music WHERE Artist = 'c' AND Song = 3 AND plays = 30)"),
            ParameterizedStatement(statement: "DELETE FROM Music WHERE Artist = 'a' AND Song = 5"),
        ], clientRequestToken: "token-1")
        #expect(try await db.table("Users").get(["id": "t1"]) == ["id": "t1"])
        #expect(try await db.table("Music").get(["Artist": "a", "Song": 5]) == nil)
        do {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: "INSERT INTO Users VALUE {'id': 't1'}")])
            Issue.record("a duplicate insert should cancel")
        } catch {
            #expect(error.cancellationReasons?.map(\.code) == ["DuplicateItem"])
            #expect(error.cancellationReasons?.first?.message == "Duplicate primary key exists in table")
        }
        let read = try await db.executeTransaction([
            ParameterizedStatement(statement: "SELECT plays FROM Music WHERE Artist = 'c' AND Song = 3"),
            ParameterizedStatement(statement: "SELECT * FROM Users WHERE id = 'none'"),
        ])
        #expect(read.items == [["plays": 30], nil])
        await expectError(.validation, "A transaction must consist of read statements only or of write statements only") {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: "SELECT * FROM Users WHERE id = 'a'"),
                                                 ParameterizedStatement(statement: "DELETE FROM Users WHERE id = 'a'")])
        }
        await expectError(.validation, "Validation failed in TransactStatements[0]: Where clause does not contain a mandatory equality on all key attributes") {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: "SELECT * FROM Music WHERE Artist = 'a'")])
        }
        await expectError(.validation, "Validation failed in TransactStatements[1]: RETURNING clause is not supported in ExecuteTransaction.") {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: "DELETE FROM Users WHERE id = 't1'"),
                                                 ParameterizedStatement(statement: "DELETE FROM Users WHERE id = 'x' RETURNING ALL OLD *")])
        }
        #expect(try await db.table("Users").get(["id": "t1"]) != nil)
        await expectError(.validation, "Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.") {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: #"SELECT * FROM "Music"."byGenre" WHERE genre = 'rock'"#)])
        }
        await expectError(.validation, "Validation failed in TransactStatements[0]: Statement wasn't well formed, can't be processed: Expected data manipulation") {
            _ = try await db.executeTransaction([ParameterizedStatement(statement: "UPSERT INTO Users VALUE {'id': 'x'}")])
        }
    }

    /// Random items and random statements give the items the equivalent Query or Scan gives,
    /// and a random UPDATE leaves the item UpdateItem leaves.
    @Test func propertySameAsQueryScanAndUpdateItem() async throws {
        let (db, dir) = try makeDatabase(shards: 2)
        defer { withExtendedLifetime(dir) {} }
        _ = try await db.createTable(CreateTableRequest(tableName: "Pql", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        var g = SeededGenerator(seed: 24)
        for _ in 0..<120 {
            var item: Item = ["pk": .s(["a", "b", "c", "d"].randomElement(using: &g)!), "sk": .n(Number(Int.random(in: 0..<40, using: &g)))]
            if Bool.random(using: &g) { item["x"] = .n(Number(Int.random(in: 0..<10, using: &g))) }
            if Bool.random(using: &g) { item["s"] = .s(["ab", "ac", "b", "abc"].randomElement(using: &g)!) }
            try await db.table("Pql").put(item)
        }
        func keys(_ items: [LazyItem]) -> [String] { items.map { "\($0["pk"]!)/\($0["sk"]!)" } }
        let filters: [(partiql: String, expression: String, values: [String: AttributeValue])] = [
            ("x > 4", "x > :v", [":v": 4]),
            ("begins_with(s, 'a')", "begins_with(s, :v)", [":v": "a"]),
            ("x IS MISSING", "attribute_not_exists(x)", [:]),
            ("x IN [1, 2, 3] OR s = 'b'", "x IN (:a, :b, :c) OR s = :s", [":a": 1, ":b": 2, ":c": 3, ":s": "b"]),
            ("NOT (x BETWEEN 2 AND 6)", "NOT (x BETWEEN :l AND :h)", [":l": 2, ":h": 6]),
        ]
        for _ in 0..<40 {
            let partition = ["a", "b", "c", "d"].randomElement(using: &g)!
            let (low, high) = (Int.random(in: 0..<20, using: &g), Int.random(in: 20..<40, using: &g))
            let filter = filters.randomElement(using: &g)!
            let descending = Bool.random(using: &g)
            let selected = try await db.execute(
                "SELECT * FROM Pql WHERE pk = ? AND sk BETWEEN \(low) AND \(high) AND (\(filter.partiql)) ORDER BY sk \(descending ? "DESC" : "ASC")",
                parameters: [.s(partition)])
            var values = filter.values
            values[":p"] = .s(partition)
            values[":lo"] = .n(Number(low))
            values[":hi"] = .n(Number(high))
            let queried = try await db.query(QueryRequest(
                tableName: "Pql", keyConditionExpression: "pk = :p AND sk BETWEEN :lo AND :hi", filterExpression: filter.expression,
                expressionAttributeValues: values, scanIndexForward: !descending))
            #expect(keys(selected.items) == keys(queried.items))
            let scannedSelect = try await db.execute("SELECT * FROM Pql WHERE \(filter.partiql)")
            let scanned = try await db.scan(ScanRequest(tableName: "Pql", filterExpression: filter.expression,
                                                        expressionAttributeValues: filter.values.isEmpty ? nil : filter.values))
            #expect(keys(scannedSelect.items) == keys(scanned.items))
        }
        // UPDATE against UpdateItem on a copy of the same item.
        _ = try await db.createTable(CreateTableRequest(tableName: "Qry", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        for _ in 0..<30 {
            let n = Int.random(in: 0..<100, using: &g)
            let start: Item = ["pk": "u", "sk": 1, "n": .n(Number(n)), "l": .l([1]), "t": .ss(["a"])]
            try await db.table("Pql").put(start.merging(["pk": "u"]) { $1 })
            try await db.table("Qry").put(start)
            let k = Int.random(in: 1..<9, using: &g)
            _ = try await db.execute("UPDATE Pql SET n = n + \(k), l = list_append(l, [\(k)]), t = set_add(t, <<'x'>>) REMOVE gone WHERE pk = 'u' AND sk = 1")
            _ = try await db.updateItem(UpdateItemRequest(
                tableName: "Qry", key: ["pk": "u", "sk": 1], updateExpression: "SET n = n + :k, l = list_append(l, :l) ADD t :t REMOVE gone",
                expressionAttributeValues: [":k": .n(Number(k)), ":l": .l([.n(Number(k))]), ":t": .ss(["x"])]))
            #expect(try await db.table("Pql").get(["pk": "u", "sk": 1]) == db.table("Qry").get(["pk": "u", "sk": 1]))
        }
    }
}
