// The stored item codec on arbitrary bytes: decoding never crashes, partial decoding agrees with
// full decoding, what decodes re-encodes to something that decodes to the same item, and the
// in-place view (checking, lookups, JSON rendered from the bytes) agrees with the decoded item.
import FuzzDriver
@testable import Shoal

let selection = ItemCodec.AttributeSelection(["a", "b", "\u{E9}"])

runFuzzer { bytes in
    let full = try? ItemCodec.decode(bytes)
    let partial = try? ItemCodec.decode(bytes, from: 0, only: selection)
    let view = try? EncodedItem.checked(bytes, from: 0)
    if let full {
        if let partial, partial != full.filter({ selection.names.map(\.name).contains($0.key) }) {
            fatalError("partial decoding disagrees with full decoding")
        }
        if (try? ItemCodec.decode(ItemCodec.encode(full))) != full { fatalError("decoded item did not round-trip") }
        // Whatever decodes passes the in-place check, and reads the same through the view.
        guard let view else { fatalError("an item that decodes was refused by the in-place check") }
        let lazy = LazyItem(encoded: view)
        if lazy.dictionary != full || lazy.count != full.count { fatalError("the view disagrees with the decoded item") }
        for (name, value) in full where lazy[name] != value { fatalError("the view's lookup of \(name) disagrees") }
        // Rendering from the bytes equals rendering the item re-encoded in the bytes' member order.
        var fromBytes: [UInt8] = []
        DynamoDBJSON.append(lazy, to: &fromBytes)
        var fromItem: [UInt8] = []
        DynamoDBJSON.append(LazyItem(encoded: EncodedItem(encoding: full)), to: &fromItem)
        var fromDictionary: [UInt8] = []
        DynamoDBJSON.append(full, to: &fromDictionary)
        if fromBytes.count != fromDictionary.count || fromItem != fromDictionary {
            fatalError("JSON rendered from the bytes disagrees with JSON rendered from the item")
        }
    } else if let view {
        // The check accepts what decoding refuses only for repeated names: reading it must not crash.
        var out: [UInt8] = []
        DynamoDBJSON.append(LazyItem(encoded: view), to: &out)
        _ = LazyItem(encoded: view)["a"]
    }
    _ = try? ShardLayout.decodeValue(bytes)
}
