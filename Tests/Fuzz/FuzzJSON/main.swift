// The JSON parser on arbitrary bytes: parse, and when it parses, write it back and parse again.
import FuzzDriver
@testable import ShoalServer

runFuzzer { bytes in
    guard let value = try? JSONParser.parse(bytes) else { return }
    let written = JSONWriter.encode(value)
    guard let again = try? JSONParser.parse(written), again == value else {
        fatalError("JSON did not round-trip: \(String(decoding: bytes, as: UTF8.self))")
    }
}
