import Hummingbird
import NIOCore

// The ceiling of an HTTP benchmark on this machine: Hummingbird answering every POST with a
// fixed JSON body, no parsing, no storage. `BareHTTPServer PORT [BYTES]`: the body is 60 bytes,
// or a JSON object of exactly BYTES bytes (to match a larger response, such as a Query page).
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8099
let size = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init)
let small = #"{"Item":{"pk":{"S":"user-1"},"v":{"S":"01234567890123456"}}}"#
precondition(small.utf8.count == 60)
let padding = #"{"Items":[],"x":""}"#
let body = size.map { padding.replacingOccurrences(of: #""x":"""#, with: #""x":""# + String(repeating: "a", count: max($0 - padding.utf8.count, 0)) + "\"") } ?? small
let router = Router()
router.post("/") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.0"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
}
router.get("/") { _, _ in "healthy" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare"))
try await app.runService()
