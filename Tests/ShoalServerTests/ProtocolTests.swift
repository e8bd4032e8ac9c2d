import Foundation
import Testing
@testable import Shoal
@testable import ShoalServer
import Zlib

@Suite struct JSONTests {
    @Test func parsesDocuments() throws {
        let json = try JSONParser.parse(Array(#"{"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\\z\n\u00e9\ud83d\ude00"}}"#.utf8))
        #expect(json["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(json["b"]?["c"] == .string("x\"y\\z\né😀"))
    }

    @Test func itemsRenderedFromStoredBytesMatchTheDictionaryRendering() throws {
        let items: [Item] = [
            [:],
            ["s": .s("quote \" backslash \\ newline \n tab \t nul \u{0} é 😀"), "n": .n(try Number("-0.000123")),
             "big": .n(try Number("1E+125")), "small": .n(try Number("1E-130")), "int": .n(1234567890)],
            ["b": .b([]), "b1": .b([0xFF]), "b2": .b([0, 1]), "b3": .b([0xFB, 0xFF, 0xBF]), "bs": .bs([[1, 2, 3, 4], [0xFF]])],
            ["ss": .ss(["a", "\u{1F}"]), "ns": .ns([1, -2, try Number("3.25")]), "null": .null, "t": .bool(true), "f": .bool(false)],
            ["m": .m(["inner": .l([.m(["deep": .l([.null, .s(""), .n(0)])]), .ss(["x"])]), "": .s("empty name")]), "l": .l([])],
        ]
        for item in items {
            let eager = JSONWriter.encode(AttributeValueJSON.encode(item))
            let fromBytes = JSONWriter.encode(.item(LazyItem(encoded: EncodedItem(encoding: item))))
            #expect(String(decoding: fromBytes, as: UTF8.self) == String(decoding: eager, as: UTF8.self))
            #expect(try AttributeValueJSON.decodeItem(try JSONParser.parse(fromBytes), field: "Item") == item)
        }
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "\"\\ud800\"", "01x", "{} {}", "\"a\u{01}\"", "\"\\q\""])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { _ = try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func nestingIsLimited() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParser.SyntaxError.self) { _ = try JSONParser.parse(Array(deep.utf8)) }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let value = JSONValue.object([("s", .string("q\"\\\n\t\u{01}é")), ("n", .number("1.5")), ("l", .array([.bool(true), .null]))])
        let bytes = JSONWriter.encode(value)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"s":"q\"\\\n\t\u0001é","n":1.5,"l":[true,null]}"#)
        #expect(try JSONParser.parse(bytes) == value)
    }
}

@Suite struct AttributeValueJSONTests {
    @Test func everyTypeRoundTrips() throws {
        let item: Item = ["s": "x", "n": .n(try Number("-1.50")), "b": .b([0, 255]), "t": true, "z": .null,
                          "m": .m(["k": .l([.ss(["a"]), .ns([1]), .bs([[1]])])])]
        let json = AttributeValueJSON.encode(item)
        #expect(json["n"] == .object([("N", .string("-1.5"))]))
        #expect(json["b"] == .object([("B", .string("AP8="))]))
        #expect(try AttributeValueJSON.decodeItem(json, field: "Item") == item)
    }

    @Test func errors() {
        #expect(throws: ProtocolError.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")) {
            _ = try AttributeValueJSON.decode(.object([]), depth: 0)
        }
        #expect(throws: ProtocolError.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")) {
            _ = try AttributeValueJSON.decode(.object([("S", .string("a")), ("N", .string("1"))]), depth: 0)
        }
        #expect(throws: ProtocolError.validation("The parameter cannot be converted to a numeric value: x")) {
            _ = try AttributeValueJSON.decode(.object([("N", .string("x"))]), depth: 0)
        }
        #expect(throws: ProtocolError.validation("One or more parameter values were invalid: Null attribute value types must have the value of true")) {
            _ = try AttributeValueJSON.decode(.object([("NULL", .bool(false))]), depth: 0)
        }
        #expect(throws: ProtocolError.self) { _ = try AttributeValueJSON.decode(.object([("B", .string("***"))]), depth: 0) }
        #expect(throws: ProtocolError.self) { _ = try AttributeValueJSON.decode(.object([("S", .number("1"))]), depth: 0) }
    }
}

@Suite struct SigV4Tests {
    /// The "get-vanilla" case of AWS's Signature Version 4 test suite.
    @Test func publishedVector() throws {
        let auth = try #require(SigV4Verifier.parse("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
        #expect(auth.region == "us-east-1" && auth.service == "service" && auth.signedHeaders == ["host", "x-amz-date"])
        let signature = SigV4Verifier.signature(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", authorization: auth, amzDate: "20150830T123600Z", method: "GET",
            path: "/", query: "", headers: ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"], body: [])
        #expect(signature == auth.signature)
        let verifier = SigV4Verifier(credentials: ["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"], service: "service")
        let headers = ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z",
                       "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(signature)"]
        let when = try #require(SigV4Verifier.parseDate("20150830T123600Z"))
        try verifier.verify(method: "GET", path: "/", query: "", headers: headers, body: [], now: when.addingTimeInterval(60))
        #expect(throws: ProtocolError.self) {
            try verifier.verify(method: "GET", path: "/", query: "", headers: headers, body: [], now: when.addingTimeInterval(16 * 60))
        }
        #expect(throws: ProtocolError.self) {
            try verifier.verify(method: "GET", path: "/", query: "", headers: headers, body: [1], now: when)
        }
        #expect(throws: ProtocolError.missingAuthenticationToken) {
            try verifier.verify(method: "GET", path: "/", query: "", headers: [:], body: [], now: when)
        }
    }

    @Test func regionOfAnAuthorizationHeader() {
        #expect(SigV4Verifier.region(authorization: "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-3/dynamodb/aws4_request, SignedHeaders=host, Signature=0") == "eu-west-3")
        #expect(SigV4Verifier.region(authorization: "AWS4-HMAC-SHA256 Credential=AKID/20240101, Signature=0") == nil)
        #expect(SigV4Verifier.region(authorization: "Basic abc") == nil)
        #expect(SigV4Verifier.region(authorization: nil) == nil)
    }

    @Test func credentialsFile() throws {
        let path = NSTemporaryDirectory() + "creds-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[default]\naws_access_key_id = A1\naws_secret_access_key = s1\n\n[other]\n# comment\naws_secret_access_key=s2\naws_access_key_id=A2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SigV4Verifier.loadCredentials(path: path).secrets == ["A1": "s1", "A2": "s2"])
    }

    @Test func crc32Vector() {
        #expect(Zlib.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}

@Suite struct DispatcherTests {
    @Test func operationsSpeakDynamoDBJSON() async throws {
        let path = NSTemporaryDirectory() + "shoal-dispatch-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Database.open(at: path, options: DatabaseOptions(shardCount: 2, durability: .noSync))
        let dispatcher = OperationDispatcher(database: db)
        let context = OperationContext(region: "eu-north-1", endpoint: "localhost:1")
        func call(_ op: String, _ text: String) async throws -> JSONValue {
            try await dispatcher.dispatch(op, body: try JSONParser.parse(Array(text.utf8)), context: context)
        }
        let created = try await call("CreateTable", #"{"TableName":"Things","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#)
        #expect(created["TableDescription"]?["TableArn"] == .string("arn:aws:dynamodb:eu-north-1:000000000000:table/Things"))
        _ = try await call("PutItem", #"{"TableName":"Things","Item":{"id":{"S":"a"},"n":{"N":"1.10"}}}"#)
        let got = try await call("GetItem", #"{"TableName":"Things","Key":{"id":{"S":"a"}},"ReturnConsumedCapacity":"TOTAL"}"#)
        #expect(got["Item"]?["n"] == .object([("N", .string("1.1"))]))
        #expect(got["ConsumedCapacity"]?["CapacityUnits"] == .number("0.5"))
        await #expect(throws: ProtocolError.validation("1 validation error detected: Value 'ALL' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]")) {
            _ = try await call("PutItem", #"{"TableName":"Things","Item":{"id":{"S":"a"}},"ReturnValues":"ALL"}"#)
        }
        do {
            _ = try await call("PutItem", #"{"TableName":"Things","Item":{"id":{"S":"a"}},"ConditionExpression":"attribute_not_exists(id)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}"#)
            Issue.record("expected a failed condition")
        } catch let error as ProtocolError {
            #expect(error.type == "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException")
            #expect(error.json["Item"]?["n"] == .object([("N", .string("1.1"))]))
        }
        #expect(OperationDispatcher.operation(fromTarget: "DynamoDB_20120810.Query") == "Query")
        #expect(OperationDispatcher.operation(fromTarget: "DynamoDB_20120810.Nope") == nil)
        #expect(OperationDispatcher.operation(fromTarget: "Other.Query") == nil)
    }
}
