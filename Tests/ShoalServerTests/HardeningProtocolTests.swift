import Foundation
import Testing
@testable import ShoalServer
import Shoal
import Zlib

@Suite struct SigV4HardeningTests {
    let verifier = SigV4Verifier(credentials: ["AKIDEXAMPLE": "secret"])
    let now = SigV4Verifier.parseDate("20240601T120000Z")!

    func signedHeaders(query: String, separator: String = ", ") -> [String: String] {
        let base = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240601/us-east-1/dynamodb/aws4_request\(separator)SignedHeaders=host;x-amz-date\(separator)Signature="
        let auth = SigV4Verifier.parse(base + "0")!
        let headers = ["host": "127.0.0.1:8000", "x-amz-date": "20240601T120000Z"]
        let signature = SigV4Verifier.signature(secret: "secret", authorization: auth, amzDate: "20240601T120000Z", method: "POST",
                                                path: "/", query: query, headers: headers, body: [])
        return headers.merging(["authorization": base + signature]) { $1 }
    }

    /// A query string with an empty parameter name used to crash the canonical-query builder.
    @Test(arguments: ["=", "=&=", "&", "a", "a=&=b", "==", "&&=&"])
    func oddQueryStringsAreVerifiedNotCrashed(query: String) throws {
        try verifier.verify(method: "POST", path: "/", query: query, headers: signedHeaders(query: query), body: [], now: now)
        #expect(throws: ProtocolError.self) {
            try verifier.verify(method: "POST", path: "/", query: query + "&x=1", headers: signedHeaders(query: query), body: [], now: now)
        }
    }

    @Test func canonicalQuerySortsByNameThenValue() {
        #expect(SigV4Verifier.canonicalQuery("b=2&a=3&a=1&=z") == "=z&a=1&a=3&b=2")
        #expect(SigV4Verifier.canonicalQuery("=") == "=")
    }

    @Test func authorizationPartsMayBeSeparatedByWhitespaceOnly() throws {
        try verifier.verify(method: "POST", path: "/", query: "", headers: signedHeaders(query: "", separator: " "), body: [], now: now)
        try verifier.verify(method: "POST", path: "/", query: "", headers: signedHeaders(query: "", separator: ","), body: [], now: now)
    }

    @Test func theDateIsCheckedBeforeScopeKeyAndSignature() {
        let bogus = "AWS4-HMAC-SHA256 Credential=nobody/2/3/4/aws4_request, SignedHeaders=x-amz-date;host, Signature=123"
        func message(_ date: String) -> String? {
            do {
                try verifier.verify(method: "POST", path: "/", query: "", headers: ["authorization": bogus, "x-amz-date": date, "host": "h"], body: [], now: now)
            } catch {
                return "\(error.type) \(error.message)"
            }
            return nil
        }
        #expect(message("20170101T010101Z") == "com.amazon.coral.service#InvalidSignatureException Signature expired: 20170101T010101Z is now earlier than 20240601T114500Z (20240601T120000Z - 15 min.)")
        #expect(message("30200101T010101Z") == "com.amazon.coral.service#InvalidSignatureException Signature not yet current: 30200101T010101Z is still later than 20240601T121500Z (20240601T120000Z + 15 min.)")
        #expect(message("20240601T120000Z") == "com.amazon.coral.service#UnrecognizedClientException The security token included in the request is invalid.")
    }
}

@Suite struct JSONHardeningTests {
    @Test(arguments: [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22],
                      [0x7B, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D]] as [[UInt8]])
    func invalidUTF8IsRejected(bytes: [UInt8]) {
        #expect(throws: JSONParser.SyntaxError.self) { _ = try JSONParser.parse(bytes) }
    }

    @Test func validUTF8IsKeptByteForByte() throws {
        let decomposed = "e\u{301}"
        let json = try JSONParser.parse(Array("[\"é\",\"\(decomposed)\"]".utf8))
        guard case .array(let values) = json, case .string(let a) = values[0], case .string(let b) = values[1] else {
            Issue.record("not an array of strings")
            return
        }
        #expect(Array(a.utf8) == [0xC3, 0xA9])
        #expect(Array(b.utf8) == [0x65, 0xCC, 0x81])
    }

    @Test func messagesEndWithTheOffset() {
        #expect(throws: JSONParser.SyntaxError(message: "Expected a member name at 1")) { _ = try JSONParser.parse(Array("{broken json".utf8)) }
    }
}

@Suite struct ContentCodingTests {
    @Test func zlibAndMultiMemberGzipDecode() throws {
        let body = Array(#"{"TableName":"x"}"#.utf8)
        let zlibBody: [UInt8] = [0x78, 0x9C, 0xAB, 0x56, 0x0A, 0x49, 0x4C, 0xCA, 0x49, 0xF5, 0x4B, 0xCC, 0x4D, 0x55, 0xB2, 0x52, 0xAA,
                                 0x50, 0xAA, 0x05, 0x00, 0x34, 0x36, 0x05, 0x9C]
        #expect(try ContentCoding.decode(zlibBody, contentEncoding: "deflate", limit: 1 << 20) == body)
        let gzipA: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xAB, 0x06, 0x00, 0x39, 0x47, 0xD5, 0x15, 0x01, 0x00, 0x00, 0x00]
        let gzipB: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xAB, 0x05, 0x00, 0x0C, 0xE2, 0xB6, 0xFC, 0x01, 0x00, 0x00, 0x00]
        var corrupted = gzipA
        corrupted[13] ^= 1
        #expect(try ContentCoding.decode(gzipA + gzipB, contentEncoding: "GZIP", limit: 1 << 20) == Array("{}".utf8))
        // A trailer cut short, two zlib streams, plain JSON declared compressed, empty bodies, unknown codings: HTTP 500.
        for (bytes, coding) in [(Array(gzipA.dropLast()), "gzip"), (corrupted, "gzip"), (zlibBody + zlibBody, "deflate"), (body, "gzip"), (body, "deflate"),
                                ([], "gzip"), ([], "deflate"), (body, "garbage")] as [([UInt8], String)] {
            do {
                _ = try ContentCoding.decode(bytes, contentEncoding: coding, limit: 1 << 20)
                Issue.record("\(coding) body of \(bytes.count) bytes was accepted")
            } catch {
                #expect(error.status == 500)
            }
        }
        #expect(throws: ProtocolError.requestTooLarge) { _ = try ContentCoding.decode(gzipA + gzipB, contentEncoding: "gzip", limit: 1) }
    }

    @Test func inflateLimitsTheOutput() throws {
        let bomb = try #require(ContentCoding.gzip.compress([UInt8](repeating: 0x20, count: 1 << 20)))
        #expect(bomb.count < 4096)
        #expect(throws: Zlib.InflateError.tooLarge) { _ = try Zlib.inflate(bomb, format: .gzip, limit: 1 << 19) }
        #expect(try Zlib.inflate(bomb, format: .gzip, limit: 1 << 20).count == 1 << 20)
    }

    /// The table of DynamoDB's observed choices (see shared/dynamodb-behaviour.md, point 9).
    @Test func acceptEncodingNegotiation() {
        let none = ["identity", "", "br", "zstd", "compress", "x-gzip", "gzip ;q=0", "identity;q=0", "*;q=0",
                    "br;q=0.8,identity;q=0.5,*;q=0", "\"gzip\"", "gzip br", "gzip:q=1", "gzip;q= 0;q=1", "gzip; q=0;q=1", "gzip;nq=0;q=1"]
        let gzip = ["gzip, deflate", "GZIP, identity", "dog, gzip ,, cat", "gzip;q=0.8, deflate;q=0.5", "*", "*, deflate;q=0.5",
                    "*, identity", "*;q=0.5,identity", "gzip;q=0.5,identity;q=0.8", "deflate;q=0.5, gzip;q=31", "gzip;q=31,deflate;q=51",
                    "deflate;q=0.5, gzip;q=1;q=0.2", "deflate;q=0.5,gzip;q=0.x", "deflate;q=0.5,gzip;q=0. x", "deflate;q=-0.5,gzip;q=0.2",
                    "gzip;q =0;q=1", "gzip;q=0, gzip;q=1, gzip;q=0", "br,identity;q=0.5,gzip;q=0.0001"]
        let deflate = ["br, identity, deflate, gzip", "br, gzip;q=0, deflate; q = 0.5 , identity;q=0", "*, deflate", "*, gzip;q=0.5",
                       "deflate;q=0.5, gzip;q=0.2", "deflate;q=0.5,gzip;q=0."]
        for header in none { #expect(ContentCoding.negotiate(header) == nil, "\(header)") }
        for header in gzip { #expect(ContentCoding.negotiate(header) == .gzip, "\(header)") }
        for header in deflate { #expect(ContentCoding.negotiate(header) == .deflate, "\(header)") }
        #expect(ContentCoding.negotiate(nil) == nil)
    }
}

@Suite struct InternalErrorTests {
    @Test func detailsStayInTheLog() {
        let error = ProtocolError(ShoalError.internalError("map size limit reached at /srv/shoal/shards/003"))
        #expect(error.status == 500)
        #expect(error.message == "Internal server error")
        #expect(!"\(error.json)".contains("/srv/shoal"))
        #expect(error.logMessage == "map size limit reached at /srv/shoal/shards/003")
    }
}
