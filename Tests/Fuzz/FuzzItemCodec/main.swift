// The stored item codec on arbitrary bytes: decoding never crashes, partial decoding agrees with
// full decoding, and what decodes re-encodes to something that decodes to the same item.
import FuzzDriver
@testable import Shoal

let selection = ItemCodec.AttributeSelection(["a", "b", "\u{E9}"])

runFuzzer { bytes in
    let full = try? ItemCodec.decode(bytes)
    let partial = try? ItemCodec.decode(bytes, from: 0, only: selection)
    if let full {
        if let partial, partial != full.filter({ selection.names.map(\.name).contains($0.key) }) {
            fatalError("partial decoding disagrees with full decoding")
        }
        if (try? ItemCodec.decode(ItemCodec.encode(full))) != full { fatalError("decoded item did not round-trip") }
    }
    _ = try? ShardLayout.decodeValue(bytes)
}
