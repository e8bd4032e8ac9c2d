import Hummingbird
import NIOCore

// The ceiling of an HTTP benchmark on this machine: Hummingbird answering every POST with a
// fixed 60-byte JSON body, no parsing, no storage.
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8099
let body = #"{"Item":{"pk":{"S":"user-1"},"v":{"S":"01234567890123456"}}}"#
precondition(body.utf8.count == 60)
let router = Router()
router.post("/") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.0"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
}
router.get("/") { _, _ in "healthy" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare"))
try await app.runService()
