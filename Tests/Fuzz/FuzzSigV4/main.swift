// A request as the server reads it: the first line is the query string, then header lines up to
// an empty line, then the body. It goes through the SigV4 verifier (with a signature computed
// for it, so verification proceeds past the signature), the content decoding, the JSON parser
// and the request reader's typed accessors.
import Foundation
import FuzzDriver
@testable import Shoal
@testable import ShoalServer

let verifier = SigV4Verifier(credentials: ["AKIDFUZZ": "secret"])

runFuzzer { bytes in
    var lines: [String] = []
    var index = 0
    var start = 0
    while index < bytes.count {
        if bytes[index] == 0x0A {
            let line = String(decoding: bytes[start..<index], as: UTF8.self)
            start = index + 1
            if line.isEmpty && !lines.isEmpty { break }
            lines.append(line)
        }
        index += 1
    }
    let body = Array(bytes[min(start, bytes.count)...])
    let query = lines.first ?? ""
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].lowercased()
        let value = String(line[line.index(after: colon)...])
        headers[name] = headers[name].map { "\($0),\(value)" } ?? value
    }
    let now = SigV4Verifier.parseDate(headers["x-amz-date"] ?? "") ?? Date(timeIntervalSince1970: 1_700_000_000)
    if let header = headers["authorization"], let auth = SigV4Verifier.parse(header) {
        _ = SigV4Verifier.signature(secret: "secret", authorization: auth, amzDate: headers["x-amz-date"] ?? "", method: "POST",
                                    path: "/", query: query, headers: headers, body: body)
    }
    _ = try? verifier.verify(method: "POST", path: "/", query: query, headers: headers, body: body, now: now)
    _ = SigV4Verifier.region(authorization: headers["authorization"])
    _ = ContentCoding.negotiate(headers["accept-encoding"])
    guard let decoded = try? ContentCoding.decode(body, contentEncoding: headers["content-encoding"], limit: 1 << 20),
          let json = try? JSONParser.parse(decoded), let reader = try? RequestReader(json) else { return }
    _ = try? reader.item("Item")
    _ = try? reader.item("Key")
    _ = try? reader.expected()
    _ = try? reader.attributeUpdates()
    _ = try? reader.legacyConditions("QueryFilter")
    _ = try? reader.attributeValueMap("ExpressionAttributeValues")
    _ = try? reader.stringMap("ExpressionAttributeNames")
    _ = try? reader.int("Limit")
    _ = try? reader.stringArray("AttributesToGet")
}
