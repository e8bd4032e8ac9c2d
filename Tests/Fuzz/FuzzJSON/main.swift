// The JSON parser on arbitrary bytes: parse, and when it parses, write it back and parse again.
// When it is an item in DynamoDB's JSON, the response renderers must agree byte for byte: the
// item rendered from its stored encoding equals the item rendered from the dictionary.
import FuzzDriver
@testable import Shoal
@testable import ShoalServer

runFuzzer { bytes in
    guard let value = try? JSONParser.parse(bytes) else { return }
    let written = JSONWriter.encode(value)
    guard let again = try? JSONParser.parse(written), again == value else {
        fatalError("JSON did not round-trip: \(String(decoding: bytes, as: UTF8.self))")
    }
    guard let item = try? AttributeValueJSON.decodeItem(value, field: "Item") else { return }
    let eager = JSONWriter.encode(AttributeValueJSON.encode(item))
    let fromBytes = JSONWriter.encode(.item(LazyItem(encoded: EncodedItem(encoding: item))))
    guard fromBytes == eager else { fatalError("JSON rendered from stored bytes differs from the dictionary's") }
    guard let parsed = try? JSONParser.parse(fromBytes), (try? AttributeValueJSON.decodeItem(parsed, field: "Item")) == item else {
        fatalError("JSON rendered from stored bytes does not read back as the item")
    }
}
