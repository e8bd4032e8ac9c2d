// What a trigger reads from outside: the first byte picks the input. Filter patterns (a mapping's
// FilterCriteria) are parsed and matched against a record holding every attribute type; function
// answers are read as Lambda reads them; triggers files are parsed as `shoal serve` does.
import FuzzDriver
import Foundation
@testable import Shoal
@testable import ShoalServer

let record = StreamRecord(
    eventID: "e", eventName: .modify, sequenceNumber: "000000000000000001024", approximateCreationDateTime: Date(timeIntervalSince1970: 0),
    keys: ["pk": "k", "sk": 1],
    newImage: ["pk": "k", "sk": 1, "s": "text", "n": .n(try! Number("-12.5")), "b": .b([1, 2]), "t": true, "z": .null,
               "l": .l(["a", .l([1]), .m(["x": "y"])]), "m": .m(["a": .m(["b": .l([1])])]), "ss": .ss(["a"]), "ns": .ns([1]), "bs": .bs([[0]])],
    oldImage: ["pk": "k", "sk": 1], sizeBytes: 40, streamViewType: .newAndOldImages)

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    switch selector % 3 {
    case 0:
        guard let pattern = try? EventPattern(parsing: String(decoding: rest, as: UTF8.self)) else { return }
        // Rendered per input: a global of an indirect enum holds tagged pointers that LeakSanitizer
        // cannot follow, so it would be reported as a leak at exit.
        _ = pattern.matches(EventFilter.render(record, eventSourceArn: "arn", region: "us-east-1"))
    case 1:
        _ = TriggerResponse(lambdaResponse: Data(rest))
    default:
        _ = try? TriggersFile.parse(String(decoding: rest, as: UTF8.self))
    }
}
