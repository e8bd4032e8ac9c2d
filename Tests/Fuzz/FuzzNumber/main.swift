// Number parsing and arithmetic: text → Number → text → Number is the identity, the byte form
// orders as the numbers do, and + and - either succeed exactly or throw.
import FuzzDriver
@testable import Shoal

runFuzzer { bytes in
    let parts = bytes.split(separator: 0x2C, maxSplits: 1, omittingEmptySubsequences: false)
    let texts = parts.map { String(decoding: $0, as: UTF8.self) }
    let numbers = texts.compactMap { try? Number($0) }
    for n in numbers {
        guard let again = try? Number(n.description), again == n else { fatalError("\(n) did not round-trip") }
    }
    guard numbers.count == 2 else { return }
    let (a, b) = (numbers[0], numbers[1])
    let order = Number.compare(a, b)
    let bytesOrder = NumberEncoding.encode(a).lexicographicallyPrecedes(NumberEncoding.encode(b)) ? -1
        : NumberEncoding.encode(a) == NumberEncoding.encode(b) ? 0 : 1
    if order != bytesOrder { fatalError("byte order of \(a) and \(b) differs from numeric order") }
    if let sum = try? a + b, let back = try? sum - b, back != a, (try? back - a) != .zero {
        fatalError("\(a) + \(b) - \(b) != \(a)")
    }
    _ = try? a - b
}
