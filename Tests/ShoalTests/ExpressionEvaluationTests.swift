import Testing
@testable import Shoal

@Suite struct ExpressionEvaluationTests {
    private let item: Item = [
        "s": "hello", "n": .n(try! Number("10.50")), "b": .b([1, 2, 3]), "t": true, "z": .null,
        "ss": .ss(["a", "b"]), "ns": .ns([1, 2]), "bs": .bs([[1], [2]]),
        "l": .l([.s("x"), .n(1), .m(["k": .s("v")])]), "m": .m(["inner": .m(["deep": .n(7)])]),
        "u": .s("é𝄞"),
    ]

    private func check(_ c: Condition, on item: Item? = nil) -> Bool { ConditionEvaluator.evaluate(c, on: item ?? self.item) }

    @Test func comparisonsOnlyBetweenSameTypes() throws {
        #expect(check(DocumentPath("n") == .n(try Number("10.5"))))
        #expect(check(DocumentPath("n") > 9))
        #expect(check(DocumentPath("n") < 11))
        #expect(!check(DocumentPath("n") < .s("z")), "N vs S never orders")
        #expect(!check(DocumentPath("n") == .s("10.5")))
        #expect(check(DocumentPath("s") > .s("hell")))
        #expect(check(DocumentPath("s") < .s("hellp")))
        #expect(check(DocumentPath("b") > .b([1, 2])))
        #expect(check(DocumentPath("ss") == .ss(["b", "a"])), "sets compare as sets")
        #expect(check(DocumentPath("l[2].k") == "v"))
        #expect(check(DocumentPath("m.inner.deep") >= 7))
        #expect(!check(DocumentPath("t") > .bool(false)), "BOOL does not order")
        #expect(check(DocumentPath("t") == true))
        #expect(check(DocumentPath("z") == .null))
    }

    @Test func missingAttributes() {
        #expect(!check(DocumentPath("missing") == 1))
        #expect(check(DocumentPath("missing") != 1), "a missing attribute is unequal to anything")
        #expect(check(.comparison(.path("missing"), .notEqual, .path("other"))))
        #expect(!check(.comparison(.path("missing"), .equal, .path("other"))))
        #expect(!check(DocumentPath("missing") < 1))
        #expect(!check(DocumentPath("missing").between(1, 2)))
        #expect(!check(DocumentPath("missing").isIn([1])))
        #expect(check(DocumentPath("missing").notExists))
        #expect(!check(DocumentPath("l[9]").exists), "index out of range is missing")
        #expect(!check(DocumentPath("s.x").exists), "a key inside a string is missing")
        #expect(check(DocumentPath("l[1]") == 1))
        #expect(check(DocumentPath("anything").notExists, on: [:]))
    }

    @Test func functions() {
        #expect(check(DocumentPath("s").beginsWith("he")))
        #expect(!check(DocumentPath("s").beginsWith("lo")))
        #expect(check(DocumentPath("b").beginsWith(.b([1, 2]))))
        #expect(!check(DocumentPath("n").beginsWith("1")), "begins_with needs S or B")
        #expect(check(DocumentPath("s").contains("ell")))
        #expect(check(DocumentPath("ss").contains("a")))
        #expect(check(DocumentPath("ns").contains(2)))
        #expect(check(DocumentPath("bs").contains(.b([2]))))
        #expect(check(DocumentPath("l").contains("x")))
        #expect(check(DocumentPath("l").contains(.m(["k": "v"]))))
        #expect(!check(DocumentPath("l").contains("y")))
        #expect(!check(DocumentPath("ss").contains(1)), "a string set holds no numbers")
        #expect(check(DocumentPath("b").contains(.b([2, 3]))))
        #expect(check(DocumentPath("ss").hasType(.ss)))
        #expect(!check(DocumentPath("ss").hasType(.ns)))
        #expect(check(DocumentPath("z").hasType(.null)))
        #expect(check(DocumentPath("n").between(10, 11)))
        #expect(check(DocumentPath("s").isIn(["x", "hello"])))
    }

    @Test func sizeCountsPerType() {
        #expect(check(DocumentPath("s").size == 5))
        #expect(check(DocumentPath("u").size == 3), "UTF-16 code units: é is 1, 𝄞 is 2")
        #expect(check(DocumentPath("b").size == 3))
        #expect(check(DocumentPath("ss").size == 2))
        #expect(check(DocumentPath("l").size == 3))
        #expect(check(DocumentPath("m").size == 1))
        #expect(!check(DocumentPath("n").size == 4), "size of a number is not defined")
        #expect(!check(DocumentPath("missing").size >= 0))
    }

    @Test func logic() {
        #expect(check(DocumentPath("s") == "hello" && DocumentPath("n") > 1))
        #expect(check(DocumentPath("s") == "nope" || DocumentPath("n") > 1))
        #expect(check(!(DocumentPath("s") == "nope")))
        #expect(!check(DocumentPath("s").exists && DocumentPath("missing").exists))
    }

    @Test func updatesApplyDynamoDBSemantics() throws {
        let key: Item = ["id": "k"]
        var base: Item = key
        base["count"] = 5
        base["list"] = .l([.s("a"), .s("b"), .s("c"), .s("d")])
        base["tags"] = .ss(["x", "y"])
        base["map"] = .m(["k": .s("v")])
        let update = UpdateExpression(
            set: [.init(path: "count", value: .plus(.path("count"), .value(3))),
                  .init(path: "copy", value: .path("count")),
                  .init(path: "map.new", value: .value("n")),
                  .init(path: "list[10]", value: .value("appended")),
                  .init(path: "fresh", value: .ifNotExists("fresh", .value(1)))],
            remove: ["list[0]", "list[2]"],
            add: [.init(path: "added", value: .value(2)), .init(path: "tags", value: .value(.ss(["z"])))],
            delete: [.init(path: "gone", value: .value(.ss(["x"])))])
        // list[10] and list[0]/list[2] overlap-check as different elements; apply them together.
        let new = try UpdateApplier.apply(update, to: base, key: key)
        #expect(new["count"] == 8)
        #expect(new["copy"] == 5, "SET reads the item as it was before the update")
        #expect(new["map"] == .m(["k": "v", "new": "n"]))
        #expect(new["list"] == .l([.s("b"), .s("d"), .s("appended")]))
        #expect(new["fresh"] == 1)
        #expect(new["added"] == 2)
        #expect(new["tags"] == .ss(["x", "y", "z"]))
        #expect(new["gone"] == nil)

        let emptied = try UpdateApplier.apply(.delete("tags", .ss(["x", "y"])), to: base, key: key)
        #expect(emptied["tags"] == nil, "a set emptied by DELETE disappears")
        #expect(try UpdateApplier.apply(.set("list", to: .listAppend(.value(.l([.s("0")])), .path("list"))), to: base, key: key)["list"]
                == .l([.s("0"), .s("a"), .s("b"), .s("c"), .s("d")]))
        #expect(throws: UpdateApplier.missingAttribute) { _ = try UpdateApplier.apply(.set("x", to: .plus(.path("nope"), .value(1))), to: base, key: key) }
        #expect(throws: UpdateApplier.incorrectType) { _ = try UpdateApplier.apply(.set("x", to: .plus(.path("tags"), .value(1))), to: base, key: key) }
        #expect(throws: UpdateApplier.incorrectType) { _ = try UpdateApplier.apply(.add("map", 1), to: base, key: key) }
        #expect(throws: UpdateApplier.incorrectType) { _ = try UpdateApplier.apply(.add("tags", .ns([1])), to: base, key: key) }
        #expect(throws: DocumentPath.invalidForUpdate) { _ = try UpdateApplier.apply(.set("nothere.x", to: 1), to: base, key: key) }
        #expect(throws: DocumentPath.invalidForUpdate) { _ = try UpdateApplier.apply(.set("count.x", to: 1), to: base, key: key) }
        #expect(throws: ShoalError.validation(NumberError.overflow.description)) {
            _ = try UpdateApplier.apply(.add("count", .n(try Number("9.9e125"))), to: ["id": "k", "count": .n(try Number("9.9e125"))], key: key)
        }
        // REMOVE of something absent is fine; of a path under a missing parent is not.
        #expect(try UpdateApplier.apply(.remove("nope"), to: base, key: key) == base)
        #expect(throws: DocumentPath.invalidForUpdate) { _ = try UpdateApplier.apply(.remove("nope.x"), to: base, key: key) }
    }

    @Test func projectionKeepsRequestedParts() {
        let projected = Projection.apply(["s", "l[2].k", "l[0]", "m.inner", "missing"], to: item)
        #expect(projected == ["s": "hello", "l": .l([.s("x"), .m(["k": "v"])]), "m": .m(["inner": .m(["deep": 7])])])
    }
}

@Suite struct ExpressionRoundTripTests {
    private func path(_ g: inout SeededGenerator) -> DocumentPath {
        var elements: [PathElement] = [.name(["a", "b", "status", "x y", "#"].randomElement(using: &g)!)]
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            elements.append(Bool.random(using: &g) ? .name(Generate.string(&g, maxLength: 4) + "k") : .index(Int.random(in: 0...20, using: &g)))
        }
        return DocumentPath(elements)
    }

    private func operand(_ g: inout SeededGenerator) -> Operand {
        switch Int.random(in: 0..<3, using: &g) {
        case 0: return .path(path(&g))
        case 1: return .size(.path(path(&g)))
        default: return .value(Generate.value(&g))
        }
    }

    private func condition(_ g: inout SeededGenerator, depth: Int = 0) -> Condition {
        switch Int.random(in: 0..<(depth > 3 ? 7 : 10), using: &g) {
        case 0: return .comparison(operand(&g), ComparisonOperator.allCases.randomElement(using: &g)!, operand(&g))
        case 1: return .between(operand(&g), operand(&g), operand(&g))
        case 2: return .isIn(operand(&g), (0..<Int.random(in: 1...4, using: &g)).map { _ in operand(&g) })
        case 3: return .attributeExists(path(&g))
        case 4: return .attributeNotExists(path(&g))
        case 5: return .beginsWith(.path(path(&g)), operand(&g))
        case 6: return .contains(.path(path(&g)), operand(&g))
        case 7: return .and(condition(&g, depth: depth + 1), condition(&g, depth: depth + 1))
        case 8: return .or(condition(&g, depth: depth + 1), condition(&g, depth: depth + 1))
        default: return .not(condition(&g, depth: depth + 1))
        }
    }

    @Test func printedConditionsParseBackToTheSameAST() throws {
        var g = SeededGenerator(seed: 99)
        var roundTripped = 0
        for _ in 0..<1500 {
            let original = condition(&g)
            let printed = ExpressionPrinter.print(original)
            var attributes = try ExpressionAttributes(names: printed.expressionAttributeNames.isEmpty ? nil : printed.expressionAttributeNames,
                                                      values: printed.expressionAttributeValues.isEmpty ? nil : printed.expressionAttributeValues)
            let parsed: Condition
            do {
                parsed = try ExpressionParser.condition(printed.expression, kind: .condition, attributes: &attributes)
            } catch {
                // Random literals can break DynamoDB's static operand rules; those are rejected on purpose.
                let expected = error.message.contains("Incorrect operand type") || error.message.contains("BETWEEN operator")
                    || error.message.contains("type parameter") || error.message.contains("must be distinct")
                #expect(expected, "\(error) for \(printed.expression)")
                continue
            }
            #expect(parsed == original, "\(printed.expression)")
            try attributes.checkAllUsed()
            roundTripped += 1
        }
        #expect(roundTripped > 500, "only \(roundTripped) random conditions were valid")
    }

    @Test func printedUpdatesAndProjectionsParseBack() throws {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            var paths: [DocumentPath] = []
            while paths.count < 4 {
                let p = DocumentPath([.name("p\(paths.count)")] + path(&g).elements.dropFirst())
                paths.append(p)
            }
            let update = UpdateExpression(
                set: [.init(path: paths[0], value: .plus(.path(path(&g)), .value(.n(Generate.number(&g))))),
                      .init(path: paths[1], value: .listAppend(.ifNotExists(path(&g), .value(.l([]))), .value(.l([Generate.value(&g)]))))],
                remove: [paths[2]],
                add: [.init(path: paths[3], value: .value(.ns([Generate.number(&g)])))])
            let printed = ExpressionPrinter.print(update)
            var attributes = try ExpressionAttributes(names: printed.expressionAttributeNames, values: printed.expressionAttributeValues)
            #expect(try ExpressionParser.update(printed.expression, attributes: &attributes) == update, "\(printed.expression)")
            let projection = ExpressionPrinter.print(projection: paths)
            var names = try ExpressionAttributes(names: projection.expressionAttributeNames, values: nil)
            #expect(try ExpressionParser.projection(projection.expression, attributes: &names) == paths)
        }
    }
}

@Suite struct SubstringSearchTests {
    /// Against a naive search, on small alphabets where partial matches abound.
    @Test func agreesWithNaiveSearch() {
        var g = SeededGenerator(seed: 77)
        func naive(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            b.isEmpty || (b.count <= a.count && (0...(a.count - b.count)).contains { a[$0..<$0 + b.count].elementsEqual(b) })
        }
        for _ in 0..<5000 {
            let a = (0..<Int.random(in: 0...30, using: &g)).map { _ in UInt8.random(in: 0...2, using: &g) }
            let b = (0..<Int.random(in: 0...6, using: &g)).map { _ in UInt8.random(in: 0...2, using: &g) }
            #expect(ConditionEvaluator.containsBytes(a, b) == naive(a, b), "\(a) \(b)")
        }
    }

    /// The pathological case for a naive search: 300 KB of "a" against 150 KB of "a…ab".
    @Test func isLinear() {
        let haystack = [UInt8](repeating: 0x61, count: 300_000)
        let needle = [UInt8](repeating: 0x61, count: 150_000) + [0x62]
        #expect(!ConditionEvaluator.containsBytes(haystack, needle))
        #expect(ConditionEvaluator.containsBytes(haystack + needle, needle))
    }
}
