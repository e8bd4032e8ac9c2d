// DynamoDB-JSON items: decode, validate, encode back to JSON and decode again.
import FuzzDriver
@testable import Shoal
@testable import ShoalServer

runFuzzer { bytes in
    guard let json = try? JSONParser.parse(bytes), let item = try? AttributeValueJSON.decodeItem(json, field: "Item") else { return }
    guard (try? ItemValidation.validate(item: item)) != nil else { return }
    let again = try? AttributeValueJSON.decodeItem(AttributeValueJSON.encode(item), field: "Item")
    if again != item { fatalError("item did not round-trip through JSON") }
    if (try? ItemCodec.decode(ItemCodec.encode(item))) != item { fatalError("item did not round-trip through the codec") }
}
