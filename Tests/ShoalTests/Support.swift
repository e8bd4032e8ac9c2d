import Foundation
import Testing
@testable import Shoal

/// A fresh data directory per test, removed afterwards.
final class TemporaryDirectory: Sendable {
    let path: String
    init() { path = NSTemporaryDirectory() + "shoal-test-" + UUID().uuidString }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic random numbers for property tests (SplitMix64), so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Generate {
    static func number(_ g: inout SeededGenerator) -> Number {
        let digits = Int.random(in: 1...38, using: &g)
        var significand: UInt128 = 0
        for i in 0..<digits {
            significand = significand * 10 + UInt128(i == 0 ? Int.random(in: 1...9, using: &g) : Int.random(in: 0...9, using: &g))
        }
        let scientific = Int.random(in: Number.minExponent...Number.maxExponent, using: &g)
        // Mostly small magnitudes, sometimes the extremes.
        let exponentChoice = Int.random(in: 0..<4, using: &g) == 0 ? scientific : Int.random(in: -6...6, using: &g)
        let negative = Bool.random(using: &g)
        if Int.random(in: 0..<20, using: &g) == 0 { return .zero }
        return (try? Number(significand: significand, exponent: exponentChoice - digits + 1, negative: negative)) ?? Number(1)
    }

    static func string(_ g: inout SeededGenerator, maxLength: Int = 12) -> String {
        let alphabet: [Character] = ["a", "b", "z", "A", "0", "~", "é", "ß", "日", "😀", " ", "\u{0}", "\u{7F}"]
        let length = Int.random(in: 0...maxLength, using: &g)
        return String((0..<length).map { _ in alphabet.randomElement(using: &g)! })
    }

    static func bytes(_ g: inout SeededGenerator, maxLength: Int = 12) -> [UInt8] {
        let length = Int.random(in: 0...maxLength, using: &g)
        return (0..<length).map { _ in [0, 1, 0x7F, 0x80, 0xFE, 0xFF, UInt8.random(in: 0...255, using: &g)].randomElement(using: &g)! }
    }

    static func value(_ g: inout SeededGenerator, depth: Int = 0) -> AttributeValue {
        switch Int.random(in: 0..<(depth > 3 ? 8 : 10), using: &g) {
        case 0: return .s(string(&g))
        case 1: return .n(number(&g))
        case 2: return .b(bytes(&g))
        case 3: return .bool(Bool.random(using: &g))
        case 4: return .null
        case 5: return .ss(Array(Set((0..<Int.random(in: 1...4, using: &g)).map { _ in string(&g) })))
        case 6: return .ns(Array(Set((0..<Int.random(in: 1...4, using: &g)).map { _ in number(&g) })))
        case 7: return .bs(Array(Set((0..<Int.random(in: 1...4, using: &g)).map { _ in bytes(&g) })))
        case 8: return .l((0..<Int.random(in: 0...4, using: &g)).map { _ in value(&g, depth: depth + 1) })
        default:
            var map: Item = [:]
            for _ in 0..<Int.random(in: 0...4, using: &g) { map[string(&g, maxLength: 5)] = value(&g, depth: depth + 1) }
            return .m(map)
        }
    }
}

/// Opens a fresh database in a temporary directory.
func makeDatabase(shards: Int = 4, durability: Durability = .noSync) throws -> (Database, TemporaryDirectory) {
    let dir = TemporaryDirectory()
    let db = try Database.open(at: dir.path, options: DatabaseOptions(shardCount: shards, durability: durability))
    return (db, dir)
}

/// Closes `database` and waits until it is gone: LMDB forbids two handles on one environment in
/// a process, so the first must be released (its background tasks finished) before the
/// directory is opened again.
func closeAndRelease(_ database: inout Shoal.Database?, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    database?.close()
    weak let closed = database
    database = nil
    #expect(try await eventually { closed == nil }, sourceLocation: sourceLocation)
}

/// Expects `body` to throw a ``ShoalError`` of `kind` whose message is `message`.
func expectError(_ kind: ShoalError.Kind, _ message: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(kind.rawValue): \(message)", sourceLocation: sourceLocation)
    } catch let error as ShoalError {
        #expect(error.kind == kind, sourceLocation: sourceLocation)
        #expect(error.message == message, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
