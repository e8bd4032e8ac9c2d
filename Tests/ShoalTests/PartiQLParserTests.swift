import Testing
@testable import Shoal

/// The PartiQL parser: every construct of DynamoDB's dialect, and the errors of statements that
/// do not parse (with their line and column) or exceed a bound.
@Suite struct PartiQLParserTests {
    private func select(_ text: String) throws -> PartiQLSelect {
        guard case .select(let s) = try PartiQLParser.parse(text) else { throw ShoalError.validation("not a select") }
        return s
    }

    @Test func selectProjectionSourceWhereAndOrder() throws {
        let s = try select(#"SELECT a, "b c".d[2], e['f'] FROM "Music"."byArtist" WHERE x = 1 ORDER BY sk DESC, pk"#)
        #expect(s.projection == [[.name("a")], [.name("b c"), .name("d"), .index(2)], [.name("e"), .name("f")]])
        #expect(s.table == "Music")
        #expect(s.index == "byArtist")
        #expect(s.condition == .comparison(.path([.name("x")]), .equal, .literal(.n(1))))
        #expect(s.orderBy.map(\.path) == [[.name("sk")], [.name("pk")]])
        #expect(s.orderBy.map(\.descending) == [true, false])
        let star = try select("select * from Music;")
        #expect(star.projection == nil && star.table == "Music" && star.condition == nil)
    }

    @Test func whereOperatorsAndPrecedence() throws {
        let s = try select("SELECT * FROM t WHERE a = 1 OR b <> 'x' AND NOT c < 2")
        #expect(s.condition == .or(
            .comparison(.path([.name("a")]), .equal, .literal(.n(1))),
            .and(.comparison(.path([.name("b")]), .notEqual, .literal(.s("x"))),
                 .not(.comparison(.path([.name("c")]), .less, .literal(.n(2)))))))
        let rest = try select("""
            SELECT * FROM t WHERE a BETWEEN 1 AND 5 AND b IN [1, 2] AND c NOT IN ('x') AND d IS MISSING
              AND e IS NOT NULL AND begins_with(f, 'p') AND contains(g, ?) AND attribute_type(h, 'S') AND size(i) >= 3
              AND j != k AND (l <= -2.5e3 OR m > 0.5) AND n NOT BETWEEN 1 AND 2
            """)
        let conjuncts = PartiQLKeys.conjuncts(rest.condition)
        #expect(conjuncts.count == 12)
        #expect(conjuncts[0] == .between(.path([.name("a")]), .literal(.n(1)), .literal(.n(5))))
        #expect(conjuncts[1] == .isIn(.path([.name("b")]), [.literal(.n(1)), .literal(.n(2))]))
        #expect(conjuncts[2] == .not(.isIn(.path([.name("c")]), [.literal(.s("x"))])))
        #expect(conjuncts[3] == .isMissing(.path([.name("d")]), negated: false))
        #expect(conjuncts[4] == .isNull(.path([.name("e")]), negated: true))
        #expect(conjuncts[5] == .call("begins_with", [.path([.name("f")]), .literal(.s("p"))]))
        #expect(conjuncts[6] == .call("contains", [.path([.name("g")]), .parameter(0)]))
        #expect(conjuncts[8] == .comparison(.call("size", [.path([.name("i")])]), .greaterOrEqual, .literal(.n(3))))
        #expect(conjuncts[9] == .comparison(.path([.name("j")]), .notEqual, .path([.name("k")])))
        #expect(conjuncts[10] == .or(.comparison(.path([.name("l")]), .lessOrEqual, .literal(.n(try Number("-2.5e3")))),
                                      .comparison(.path([.name("m")]), .greater, .literal(.n(try Number("0.5"))))))
        #expect(conjuncts[11] == .not(.between(.path([.name("n")]), .literal(.n(1)), .literal(.n(2)))))
    }

    @Test func literalsOfEveryKind() throws {
        guard case let .insert(table, value) = try PartiQLParser.parse("""
            INSERT INTO "Music" VALUE {'s': 'it''s', 'n': -12.5, 't': TRUE, 'f': false, 'z': NULL, 'l': [1, 'two', [3]],
              'm': {'inner': {'deep': 1}}, 'ss': <<'a', 'b'>>, 'ns': <<1, 2>>, 'p': ?}
            """) else { Issue.record("not an insert"); return }
        #expect(table == "Music")
        let bound = try PartiQLBinding([.b([1, 2])], for: .insert(table: table, value: value)).value(value)
        #expect(bound == .m(["s": "it's", "n": .n(try Number("-12.5")), "t": true, "f": false, "z": .null,
                             "l": .l([1, "two", .l([3])]), "m": .m(["inner": .m(["deep": 1])]), "ss": .ss(["a", "b"]),
                             "ns": .ns([1, 2]), "p": .b([1, 2])]))
    }

    @Test func updateAndDeleteStatements() throws {
        guard case .update(let u) = try PartiQLParser.parse("""
            UPDATE "T" SET a = a + 1, b = list_append(b, [2]) SET c = set_add(c, <<'x'>>) REMOVE d, e[1]
            WHERE pk = 'k' AND sk = 2 RETURNING MODIFIED NEW *
            """) else { Issue.record("not an update"); return }
        #expect(u.table == "T")
        #expect(u.actions.count == 5)
        #expect(u.actions[0] == .set([.name("a")], .plus(.path([.name("a")]), .literal(.n(1)))))
        #expect(u.actions[4] == .remove([.name("e"), .index(1)]))
        #expect(u.returning == .modifiedNew)
        guard case let .delete(table, _, returning) = try PartiQLParser.parse("DELETE FROM T WHERE pk = ? RETURNING ALL OLD *") else {
            Issue.record("not a delete"); return
        }
        #expect(table == "T" && returning == .allOld)
        guard case .exists(let check) = try PartiQLParser.parse("EXISTS(SELECT * FROM T WHERE pk = 'a' AND v = 1)") else {
            Issue.record("not exists"); return
        }
        #expect(check.table == "T")
        #expect(try PartiQLParser.parse("select * from t where a = ? and b = ?").parameterCount == 2)
    }

    /// Statements that do not parse: DynamoDB's prefix, what is wrong, and where.
    @Test(arguments: [
        ("SELECT * FROM", "unexpected end of statement, expected a table name at line 1, column 14"),
        ("SELECT * FROM t WHERE", "unexpected end of statement, expected a value or an attribute name at line 1, column 22"),
        ("SELECT * FROM t WHERE a = 'x", "unterminated string literal at line 1, column 27"),
        ("SELECT * FROM t\nWHERE a = = 1", "unexpected =, expected a value or an attribute name at line 2, column 11"),
        ("SELECT * FROM t extra", "unexpected extra, expected the end of the statement at line 1, column 17"),
        ("INSERT INTO t VALUE {k: 1}", "unexpected k, expected a map key in single quotes at line 1, column 22"),
        ("UPDATE t WHERE a = 1", "unexpected WHERE, expected SET or REMOVE at line 1, column 10"),
        ("SELECT * FROM t WHERE a = 12abc", "invalid number literal at line 1, column 27"),
        ("SELECT * FROM t WHERE a = #", "unexpected character at line 1, column 27"),
        ("SELECT * FROM select", "unexpected select, expected a table name at line 1, column 15"),
        ("SELECT * FROM t WHERE a IS 3", "unexpected 3, expected MISSING or NULL at line 1, column 28"),
        ("SELECT * FROM t /* open", "unterminated comment at line 1, column 17"),
    ])
    func malformed(_ statement: String, _ detail: String) async {
        await expectError(.validation, "Statement wasn't well formed, can't be processed: " + detail) {
            _ = try PartiQLParser.parse(statement)
        }
    }

    /// Statements that parse but that DynamoDB refuses, in its words.
    @Test(arguments: [
        ("SELEC * FROM t", "Statement wasn't well formed, can't be processed: Expected data manipulation"),
        ("DELETE FROM t WHERE a = 1 RETURNING ALL NEW *",
         "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
        ("DELETE FROM t WHERE a = 1 RETURNING MODIFIED OLD *",
         "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
        (#"INSERT INTO "t"."i" VALUE {'a': 1}"#, "FROM clause may only contain a single table name"),
        (#"UPDATE "t"."i" SET a = 1 WHERE k = 1"#, "This operation is not supported on an index"),
        (#"DELETE FROM "t"."i" WHERE k = 1"#, "This operation is not supported on an index"),
        (#"SELECT * FROM "" WHERE k = 1"#, "Path component cannot be an empty string"),
        (#"SELECT * FROM "t"."" WHERE k = 1"#, "Path component cannot be an empty string"),
        (#"SELECT * FROM "t"."i"."x" WHERE k = 1"#, "A path may contain at most 2 components in the FROM clause"),
    ])
    func refused(_ statement: String, _ message: String) async {
        await expectError(.validation, message) { _ = try PartiQLParser.parse(statement) }
    }

    @Test func boundsOnLengthNestingAndOperators() async throws {
        await expectError(.validation, "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192") {
            _ = try PartiQLParser.parse("SELECT * FROM t WHERE a = '" + String(repeating: "x", count: 8200) + "'")
        }
        await expectError(.validation, "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length greater than or equal to 1") {
            _ = try PartiQLParser.parse("")
        }
        // 8192 characters of two bytes each are within the limit.
        _ = try PartiQLParser.parse("SELECT * FROM t WHERE a = '" + String(repeating: "é", count: 8150) + "'")
        let deep = "SELECT * FROM t WHERE " + String(repeating: "(", count: 70) + "a = 1" + String(repeating: ")", count: 70)
        #expect(throws: ShoalError.self) { try PartiQLParser.parse(deep) }
        let nestedList = "INSERT INTO t VALUE {'a': " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(throws: ShoalError.self) { try PartiQLParser.parse(nestedList) }
        let many = "SELECT * FROM t WHERE " + Array(repeating: "a = 1", count: 400).joined(separator: " OR ")
        #expect(throws: ShoalError.self) { try PartiQLParser.parse(many) }
        let longPath = "SELECT * FROM t WHERE " + Array(repeating: "a", count: 100).joined(separator: ".") + " = 1"
        #expect(throws: ShoalError.self) { try PartiQLParser.parse(longPath) }
    }

    @Test func keywordsAreCaseInsensitiveAndNamesAreNot() throws {
        let s = try select(#"sElEcT Artist FrOm "music" wHeRe "Select" = 'x'"#)
        #expect(s.projection == [[.name("Artist")]])
        #expect(s.table == "music")
        #expect(s.condition == .comparison(.path([.name("Select")]), .equal, .literal(.s("x"))))
    }
}
