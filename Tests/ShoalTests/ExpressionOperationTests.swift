import Testing
@testable import Shoal

@Suite struct ExpressionOperationTests {
    private func setUp() async throws -> (Database, TemporaryDirectory) {
        let (db, dir) = try makeDatabase()
        _ = try await db.createTable(CreateTableRequest(tableName: "Things", partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        return (db, dir)
    }

    @Test func updateItemReturnValuesAndUpsert() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let key: Item = ["pk": "a", "sk": 1]
        let created = try await db.updateItem(UpdateItemRequest(
            tableName: "Things", key: key, updateExpression: "SET #c = if_not_exists(#c, :zero) + :one, tags = :t",
            expressionAttributeNames: ["#c": "count"], expressionAttributeValues: [":zero": 0, ":one": 1, ":t": .ss(["x"])],
            returnValues: .allNew))
        #expect(created.attributes == ["pk": "a", "sk": 1, "count": 1, "tags": .ss(["x"])])
        let updatedOld = try await db.updateItem(UpdateItemRequest(
            tableName: "Things", key: key, updateExpression: "SET #c = #c + :one ADD tags :t2 REMOVE absent",
            expressionAttributeNames: ["#c": "count"], expressionAttributeValues: [":one": 1, ":t2": .ss(["y"])], returnValues: .updatedOld))
        #expect(updatedOld.attributes == ["count": 1, "tags": .ss(["x"])])
        let updatedNew = try await db.updateItem(UpdateItemRequest(
            tableName: "Things", key: key, updateExpression: "SET #c = #c + :one",
            expressionAttributeNames: ["#c": "count"], expressionAttributeValues: [":one": 1], returnValues: .updatedNew))
        #expect(updatedNew.attributes == ["count": 3])
        let allOld = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "REMOVE tags", returnValues: .allOld))
        #expect(allOld.attributes == ["pk": "a", "sk": 1, "count": 3, "tags": .ss(["x", "y"])])
        let none = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "REMOVE nothing"))
        #expect(none.attributes == nil)
        #expect(try await db.table("Things").get(key) == ["pk": "a", "sk": 1, "count": 3])
        // An update with no actions still creates the item with its key.
        _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: ["pk": "b", "sk": 2]))
        #expect(try await db.table("Things").get(["pk": "b", "sk": 2]) == ["pk": "b", "sk": 2])
    }

    @Test func updateItemErrors() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let key: Item = ["pk": "a", "sk": 1]
        await expectError(.validation, "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "SET sk = :v", expressionAttributeValues: [":v": 2]))
        }
        await expectError(.validation, "The provided expression refers to an attribute that does not exist in the item") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "SET a = b + :v", expressionAttributeValues: [":v": 2]))
        }
        try await db.table("Things").put(["pk": "a", "sk": 1, "text": "t"])
        await expectError(.validation, "An operand in the update expression has an incorrect data type") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "ADD #t :v", expressionAttributeNames: ["#t": "text"], expressionAttributeValues: [":v": 2]))
        }
        await expectError(.validation, "The document path provided in the update expression is invalid for update") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "SET nope.deeper = :v", expressionAttributeValues: [":v": 2]))
        }
        await expectError(.validation, "Item size to update has exceeded the maximum allowed size") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "SET big = :v",
                                                          expressionAttributeValues: [":v": .s(String(repeating: "x", count: 410_000))]))
        }
        await expectError(.validation, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, updateExpression: "SET a = :v",
                                                          expressionAttributeValues: [":v": 2], expected: ["a": .init(exists: false)]))
        }
        await expectError(.validation, "ExpressionAttributeValues can only be specified when using expressions") {
            _ = try await db.updateItem(UpdateItemRequest(tableName: "Things", key: key, expressionAttributeValues: [":v": 2]))
        }
        // Nothing above changed the item.
        #expect(try await db.table("Things").get(key) == ["pk": "a", "sk": 1, "text": "t"])
    }

    @Test func conditionalWrites() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let item: Item = ["pk": "a", "sk": 1, "version": 1, "state": "new"]
        _ = try await db.putItem(PutItemRequest(tableName: "Things", item: item, conditionExpression: "attribute_not_exists(pk)"))
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.putItem(PutItemRequest(tableName: "Things", item: item, conditionExpression: "attribute_not_exists(pk)"))
        }
        do {
            _ = try await db.putItem(PutItemRequest(tableName: "Things", item: item, conditionExpression: "version = :v",
                                                    expressionAttributeValues: [":v": 7], returnValuesOnConditionCheckFailure: .allOld))
            Issue.record("expected a failed condition")
        } catch {
            #expect(error.kind == .conditionalCheckFailed && error.item == item)
        }
        // Optimistic locking through UpdateItem.
        let bumped = try await db.updateItem(UpdateItemRequest(
            tableName: "Things", key: ["pk": "a", "sk": 1], updateExpression: "SET version = version + :one",
            conditionExpression: "version = :expected", expressionAttributeValues: [":one": 1, ":expected": 1], returnValues: .updatedNew))
        #expect(bumped.attributes == ["version": 2])
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.updateItem(UpdateItemRequest(
                tableName: "Things", key: ["pk": "a", "sk": 1], updateExpression: "SET version = version + :one",
                conditionExpression: "version = :expected", expressionAttributeValues: [":one": 1, ":expected": 1]))
        }
        // <> on a missing attribute holds, so this put succeeds.
        _ = try await db.putItem(PutItemRequest(tableName: "Things", item: ["pk": "b", "sk": 1], conditionExpression: "#s <> :busy",
                                                expressionAttributeNames: ["#s": "state"], expressionAttributeValues: [":busy": "busy"]))
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.deleteItem(DeleteItemRequest(tableName: "Things", key: ["pk": "a", "sk": 1], conditionExpression: "#s = :done",
                                                          expressionAttributeNames: ["#s": "state"], expressionAttributeValues: [":done": "done"]))
        }
        let deleted = try await db.deleteItem(DeleteItemRequest(tableName: "Things", key: ["pk": "a", "sk": 1], returnValues: .allOld,
                                                                condition: DocumentPath("state") == "new"))
        #expect(deleted.attributes?["version"] == 2)
        // A failed condition inside a group commit fails only its own write.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        try await db.table("Things").put(["pk": "g", "sk": .n(Number(i % 10))], condition: DocumentPath("pk").notExists)
                    } catch {
                        #expect((error as? ShoalError)?.kind == .conditionalCheckFailed)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await db.table("Things").query("g").count == 10)
    }

    @Test func legacyParameters() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let key: Item = ["pk": "a", "sk": 1]
        _ = try await db.putItem(PutItemRequest(tableName: "Things", item: key + ["n": 5, "s": "abc"], expected: ["pk": .init(exists: false)]))
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            _ = try await db.putItem(PutItemRequest(tableName: "Things", item: key, expected: ["pk": .init(exists: false)]))
        }
        _ = try await db.updateItem(UpdateItemRequest(
            tableName: "Things", key: key,
            attributeUpdates: ["n": .init(value: 2, action: .add), "s": .init(action: .delete), "l": .init(value: .l([.s("x")]), action: .add),
                               "t": .init(value: "new")],
            expected: ["n": .init(comparisonOperator: .gt, attributeValueList: [4]), "s": .init(value: "abc")], conditionalOperator: .and))
        #expect(try await db.table("Things").get(key) == key + ["n": 7, "l": .l([.s("x")]), "t": "new"])
        await expectError(.validation, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: n") {
            _ = try await db.putItem(PutItemRequest(tableName: "Things", item: key, expected: ["n": .init(value: 1, exists: false)]))
        }
        await expectError(.validation, "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator") {
            _ = try await db.putItem(PutItemRequest(tableName: "Things", item: key, expected: ["n": .init(comparisonOperator: .between, attributeValueList: [1])]))
        }
        for i in 2...6 { try await db.table("Things").put(["pk": "a", "sk": .n(Number(i)), "n": .n(Number(i))]) }
        let query = try await db.query(QueryRequest(
            tableName: "Things", keyConditions: ["pk": LegacyCondition(.eq, ["a"]), "sk": LegacyCondition(.between, [2, 5])],
            queryFilter: ["n": LegacyCondition(.ge, [3])], attributesToGet: ["sk"]))
        #expect(query.items == [["sk": 3], ["sk": 4], ["sk": 5]])
        #expect(query.count == 3 && query.scannedCount == 4)
        let scan = try await db.scan(ScanRequest(tableName: "Things", scanFilter: ["t": LegacyCondition(.notNull)]))
        #expect(scan.items.count == 1 && scan.scannedCount == 6)
        await expectError(.validation, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}") {
            _ = try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: "pk = :a", queryFilter: ["n": LegacyCondition(.notNull)],
                                                expressionAttributeValues: [":a": "a"]))
        }
        await expectError(.validation, "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk") {
            _ = try await db.query(QueryRequest(tableName: "Things", keyConditions: ["pk": LegacyCondition(.eq, ["a"])], queryFilter: ["sk": LegacyCondition(.gt, [1])]))
        }
        await expectError(.validation, "Attempted conditional constraint is not an indexable operation") {
            _ = try await db.query(QueryRequest(tableName: "Things", keyConditions: ["pk": LegacyCondition(.ne, ["a"])]))
        }
    }

    @Test func keyConditionExpressions() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        for i in 0..<10 { try await db.table("Things").put(["pk": "p", "sk": .n(Number(i)), "odd": .bool(i % 2 == 1)]) }
        func sks(_ r: QueryResponse) -> [Int64] { r.items.compactMap { $0["sk"]?.numberValue?.int64Value } }
        let values: [String: AttributeValue] = [":p": "p", ":lo": 3, ":hi": 6]
        #expect(sks(try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: "pk = :p AND sk BETWEEN :lo AND :hi",
                                                    expressionAttributeValues: values))) == [3, 4, 5, 6])
        #expect(sks(try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: ":lo < sk and :p = pk",
                                                    expressionAttributeValues: [":p": "p", ":lo": 3]))) == [4, 5, 6, 7, 8, 9])
        #expect(sks(try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: "(#k = :p) AND (sk <= :lo)",
                                                    expressionAttributeNames: ["#k": "pk"], expressionAttributeValues: [":p": "p", ":lo": 3]))) == [0, 1, 2, 3])
        // Limit counts evaluated items; the filter then drops some: Count < ScannedCount.
        let filtered = try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: "pk = :p", filterExpression: "odd = :t",
                                                       projectionExpression: "sk", expressionAttributeValues: [":p": "p", ":t": true], limit: 4))
        #expect(filtered.items == [["sk": 1], ["sk": 3]])
        #expect(filtered.count == 2 && filtered.scannedCount == 4 && filtered.lastEvaluatedKey == ["pk": "p", "sk": 3])
        let errors: [(String, String)] = [
            ("pk = :p OR sk = :lo", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"),
            ("pk = :p AND sk <> :lo", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"),
            ("pk = :p AND sk > :lo AND sk < :hi", "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"),
            ("sk = :lo", "Query condition missed key schema element: pk"),
            ("pk > :p", "Query key condition not supported"),
            ("pk = :p AND extra = :lo", "Query condition missed key schema element: sk"),
            ("pk = :p AND attribute_exists(sk)", "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists"),
            ("pk.x = :p", "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"),
        ]
        for (expression, message) in errors {
            await expectError(.validation, message) {
                let used = [":p", ":lo", ":hi"].filter { expression.contains($0) }
                _ = try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: expression,
                                                    expressionAttributeValues: values.filter { used.contains($0.key) }))
            }
        }
        await expectError(.validation, "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk") {
            _ = try await db.query(QueryRequest(tableName: "Things", keyConditionExpression: "pk = :p", filterExpression: "sk > :lo",
                                                expressionAttributeValues: [":p": "p", ":lo": 1]))
        }
        await expectError(.validation, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.") {
            _ = try await db.query(QueryRequest(tableName: "Things"))
        }
    }

    @Test func scanFilterProjectionAndSelect() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        for i in 0..<30 {
            try await db.table("Things").put(["pk": .s("p\(i % 3)"), "sk": .n(Number(i)), "tags": .ss(["t\(i % 5)"]), "info": .m(["a": .n(Number(i)), "b": "x"])])
        }
        let filtered = try await db.scan(ScanRequest(tableName: "Things", filterExpression: "contains(tags, :t) AND info.a >= :min",
                                                     projectionExpression: "sk, info.a", expressionAttributeValues: [":t": "t0", ":min": 10]))
        #expect(Set(filtered.items.dictionaries) == Set([10, 15, 20, 25].map { ["sk": .n(Number($0)), "info": .m(["a": .n(Number($0))])] as Item }))
        #expect(filtered.count == 4 && filtered.scannedCount == 30)
        let counted = try await db.scan(ScanRequest(tableName: "Things", select: .count, filter: DocumentPath("sk") < 5))
        #expect(counted.count == 5 && counted.items.isEmpty && counted.scannedCount == 30)
        await expectError(.validation, "Cannot specify the ProjectionExpression when choosing to get only the Count") {
            _ = try await db.scan(ScanRequest(tableName: "Things", select: .count, projectionExpression: "sk"))
        }
        await expectError(.validation, "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES") {
            _ = try await db.scan(ScanRequest(tableName: "Things", select: .allAttributes, attributesToGet: ["sk"]))
        }
        let specific = try await db.scan(ScanRequest(tableName: "Things", limit: 2, select: .specificAttributes, projectionExpression: "pk"))
        #expect(specific.items.allSatisfy { $0.keys.sorted() == ["pk"] })
        let got = try await db.getItem(GetItemRequest(tableName: "Things", key: ["pk": "p0", "sk": 0], projectionExpression: "#i.b, tags",
                                                      expressionAttributeNames: ["#i": "info"]))
        #expect(got.item == ["info": .m(["b": "x"]), "tags": .ss(["t0"])])
        await expectError(.validation, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}") {
            _ = try await db.getItem(GetItemRequest(tableName: "Things", key: ["pk": "p0", "sk": 0], projectionExpression: "sk",
                                                    expressionAttributeNames: ["#unused": "x"]))
        }
        await expectError(.validation, "ExpressionAttributeNames can only be specified when using expressions") {
            _ = try await db.getItem(GetItemRequest(tableName: "Things", key: ["pk": "p0", "sk": 0], expressionAttributeNames: ["#n": "x"]))
        }
        let batch = try await db.batchGetItem(BatchGetItemRequest(requestItems: ["Things": KeysAndAttributes(keys: [["pk": "p1", "sk": 1]], attributesToGet: ["sk"])]))
        #expect(batch.responses["Things"] == [["sk": 1]])
    }

    @Test func typedBuildersThroughTheTableAPI() async throws {
        let (db, dir) = try await setUp()
        defer { withExtendedLifetime(dir) {} }
        let things = db.table("Things")
        let key: Item = ["pk": "c", "sk": 1]
        let first = try await things.update(key, .add("visits", 1).setting("name", to: "Ada"))
        #expect(first == key + ["visits": 1, "name": "Ada"])
        let second = try await things.update(key, .set("visits", to: .path("visits") + .value(10)).removing("name"),
                                             condition: DocumentPath("visits") == 1 && DocumentPath("name").beginsWith("A"))
        #expect(second == key + ["visits": 11])
        await expectError(.conditionalCheckFailed, "The conditional request failed") {
            try await things.update(key, .add("visits", 1), condition: DocumentPath("visits").size > 1)
        }
        #expect(try await things.query("c", filter: DocumentPath("visits") > 10).count == 1)
        #expect(try await things.scan(filter: !DocumentPath("visits").exists).isEmpty)
        await expectError(.validation, "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: S") {
            try await things.update(key, .add("visits", "one"))
        }
    }
}

private func + (lhs: Item, rhs: Item) -> Item { lhs.merging(rhs) { $1 } }
