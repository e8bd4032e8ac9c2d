import Foundation
import Testing
@testable import Shoal

@Suite struct EncodingTests {
    /// xxHash64's published test vectors (seed 0 and seed 2654435761).
    @Test(arguments: [
        ("", UInt64(0), UInt64(0xEF46_DB37_51D8_E999)),
        ("a", 0, 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0, 0x44BC_2CF5_AD77_0999),
        ("Nobody inspects the spammish repetition", 0, 0xFBCE_A83C_8A37_8BF1),
        ("", 2_654_435_761, 0xAC75_FDA2_929B_17EF),
        ("abc", 2_654_435_761, 0x1318_DF30_094A_85FD),
        ("Nobody inspects the spammish repetition", 2_654_435_761, 0x56DB_22DD_5B05_1147),
    ])
    func xxHash64Vectors(input: String, seed: UInt64, expected: UInt64) {
        #expect(XXHash64.hash(Array(input.utf8), seed: seed) == expected)
    }

    @Test func itemRoundTripsForRandomItems() throws {
        var g = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            var item: Item = [:]
            for _ in 0..<Int.random(in: 0...8, using: &g) {
                item[Generate.string(&g, maxLength: 6)] = Generate.value(&g)
            }
            let decoded = try ItemCodec.decode(ItemCodec.encode(item))
            #expect(decoded == item)
        }
    }

    @Test func partialDecodingMatchesFullDecoding() throws {
        var g = SeededGenerator(seed: 17)
        for _ in 0..<1000 {
            var item: Item = [:]
            for _ in 0..<Int.random(in: 0...8, using: &g) { item[Generate.string(&g, maxLength: 4)] = Generate.value(&g) }
            let wanted = Set(item.keys.filter { _ in Bool.random(using: &g) } + ["not-there"])
            let partial = try ItemCodec.decode(ItemCodec.encode(item), from: 0, only: .init(wanted))
            #expect(partial == item.filter { wanted.contains($0.key) })
        }
    }

    @Test func everyTypeRoundTrips() throws {
        let item: Item = [
            "s": .s("héllo"), "n": .n(try Number("-1.25e-7")), "b": .b([0, 255, 7]), "t": .bool(true), "f": .bool(false),
            "null": .null, "ss": .ss(["a", "b"]), "ns": .ns([1, 2]), "bs": .bs([[1], [2, 3]]),
            "l": .l([.s("x"), .n(5), .l([]), .m([:])]), "m": .m(["inner": .m(["deep": .s("y")])]), "empty": .s(""),
        ]
        #expect(try ItemCodec.decode(ItemCodec.encode(item)) == item)
    }

    @Test func corruptBytesThrowInsteadOfCrashing() throws {
        var g = SeededGenerator(seed: 3)
        let valid = ItemCodec.encode(["a": .l([.s("text"), .n(12345)]), "b": .m(["c": .bs([[1, 2]])])])
        for _ in 0..<2000 {
            var bytes = valid
            let cut = Int.random(in: 0..<bytes.count, using: &g)
            if Bool.random(using: &g) {
                bytes = Array(bytes[0..<cut])
            } else {
                bytes[cut] = UInt8.random(in: 0...255, using: &g)
            }
            if bytes.count < valid.count {
                // A cut-short item never decodes.
                #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(bytes) }
            } else if let item = try? ItemCodec.decode(bytes) {
                // A changed byte may still decode; what it decodes to is stable through the codec.
                #expect(try ItemCodec.decode(ItemCodec.encode(item)) == item)
            }
        }
    }

    /// Found by FuzzItemCodec: a name length near Int.max overflowed `offset + count`.
    @Test func hugeLengthsAreCorruptNotOverflows() {
        let crash: [UInt8] = [0x07, 0x01, 0x00, 0x0A, 0x09, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
                              0xFF, 0x00, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1D, 0x07, 0x01]
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(crash) }
        let names: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(names) }
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(names, from: 0, only: .init(["a"])) }
    }

    /// Found by FuzzItemCodec: bytes whose full and partial decodings disagreed (a name written
    /// twice, or not UTF-8). Such bytes are corrupt for both decoders now.
    @Test func duplicateOrInvalidNamesAreCorrupt() throws {
        let found = [UInt8](Data(base64Encoded: "LQcBAAoJAAQABAIBZQoEAgFhCgMBYgQCAWEKAQIAQAAdKAAAAAAALP8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJAQBWTEp0qGAKBAIBYQoDAWIEAgFhCgIHAQOPgiEBAgBAAB0oAAAAAAAsAAAAAAAAAAIHAQOPgiEAAAAABgIBAQAAAERpYwAAAAAGAgEBAHRpbwAAAAABAAoJAAAABAIBAAAEAgFhCgQCAWEKAwFiBAIBYQoCBwEDj4IhAQIAQAAdKAAAAAAALAAAAAAAAAACBwEDj4IhAAADAAQ7dP8n////aW5nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAYQr///////////////////////////////////////////////////////////////////9hCgMBYgQCAWEKAQIAQAD9HSgAAAAAACwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJAAAAAAQCAWEKBAIBYQoDAWIEAgFhCgIHAQOPgiEBAgBAAB0oAAAAAAAsAAAAAAAAAAIHAQOPgiEAAAAABgIBAQAAAERpYwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAWEICgEBBQAAAAkZAgcBAgAAAAIACAQCHQAAAAEAAAAAAAAAAAAA")!)
        let selection = ItemCodec.AttributeSelection(["a", "b", "\u{E9}"])
        if let full = try? ItemCodec.decode(found) {
            #expect(try ItemCodec.decode(found, from: 0, only: selection) == full.filter { selection.names.map(\.name).contains($0.key) })
        }
        // Two attributes "a" (count 2, then name and a true value, twice).
        let twice: [UInt8] = [0x02, 0x01, 0x61, 0x02, 0x01, 0x61, 0x02]
        #expect(try ItemCodec.decode([0x01, 0x01, 0x61, 0x02]) == ["a": true])
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(twice) }
        // Partial decoding stops once it has every selected name, so it reads only the first "a";
        // with two selected names it meets the second "a" and refuses it.
        #expect(try ItemCodec.decode(twice, from: 0, only: .init(["a"])) == ["a": true])
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(twice, from: 0, only: .init(["a", "b"])) }
        var valid = ItemCodec.encode(["\u{E9}": .bool(true)])
        #expect(try ItemCodec.decode(valid) == ["\u{E9}": .bool(true)])
        valid[valid.firstIndex(of: 0xA9)!] = 0x28  // C3 28: not UTF-8
        #expect(throws: ShoalError.self) { _ = try ItemCodec.decode(valid) }
    }

    private func sortPartOrder(_ a: AttributeValue, _ b: AttributeValue) -> Int {
        KeyEncoding.compareBytes(KeyEncoding.sortPart(a), KeyEncoding.sortPart(b)).signum()
    }

    @Test func sortKeyBytesFollowDynamoDBOrderForStrings() {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<5000 {
            let a = AttributeValue.s(Generate.string(&g))
            let b = AttributeValue.s(Generate.string(&g))
            #expect(sortPartOrder(a, b) == KeyEncoding.compare(a, b).signum(), "\(a) vs \(b)")
        }
        // The comparator itself against an independent oracle: unsigned UTF-8 bytes.
        for _ in 0..<2000 {
            let a = Generate.string(&g)
            let b = Generate.string(&g)
            let oracle = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) ? -1 : Array(a.utf8) == Array(b.utf8) ? 0 : 1
            #expect(KeyEncoding.compare(.s(a), .s(b)).signum() == oracle, "\(a) vs \(b)")
        }
        // UTF-8 order differs from UTF-16 order here: U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80).
        #expect(KeyEncoding.compare(.s("\u{E000}"), .s("😀")) < 0)
        #expect(KeyEncoding.compare(.s("Z"), .s("a")) < 0)
        #expect(KeyEncoding.compare(.s("a"), .s("ab")) < 0)
    }

    @Test func sortKeyBytesFollowDynamoDBOrderForBinaryAndNumbers() {
        var g = SeededGenerator(seed: 6)
        for _ in 0..<5000 {
            let a = AttributeValue.b(Generate.bytes(&g))
            let b = AttributeValue.b(Generate.bytes(&g))
            #expect(sortPartOrder(a, b) == KeyEncoding.compare(a, b).signum())
            let x = AttributeValue.n(Generate.number(&g))
            let y = AttributeValue.n(Generate.number(&g))
            #expect(sortPartOrder(x, y) == KeyEncoding.compare(x, y).signum(), "\(x) vs \(y)")
            // Independent oracles: unsigned bytes for binary, Double for numbers that differ as Doubles.
            let oracle = a.binaryValue!.lexicographicallyPrecedes(b.binaryValue!) ? -1 : a == b ? 0 : 1
            #expect(KeyEncoding.compare(a, b).signum() == oracle)
            let dx = Double(x.numberValue!.description)!
            let dy = Double(y.numberValue!.description)!
            if dx != dy { #expect(KeyEncoding.compare(x, y).signum() == (dx < dy ? -1 : 1), "\(x) vs \(y)") }
        }
    }

    @Test func longKeysFitLMDBAndKeepOrderOutsideTheirPrefixRuns() {
        var g = SeededGenerator(seed: 9)
        let longPartition = AttributeValue.s(String(repeating: "p", count: 2048))
        for _ in 0..<500 {
            let length = Int.random(in: 300...1024, using: &g)
            let a = AttributeValue.b((0..<length).map { _ in UInt8.random(in: 0...3, using: &g) })
            let b = AttributeValue.b((0..<Int.random(in: 300...1024, using: &g)).map { _ in UInt8.random(in: 0...3, using: &g) })
            let key = KeyEncoding.itemKey(partition: longPartition, sort: a)
            #expect(key.count <= 511)
            let pa = KeyEncoding.sortPart(a)
            let pb = KeyEncoding.sortPart(b)
            let sharedRun = pa.count > KeyEncoding.sortInlineLimit && pb.count > KeyEncoding.sortInlineLimit
                && pa[0..<KeyEncoding.sortInlineLimit] == pb[0..<KeyEncoding.sortInlineLimit]
            if !sharedRun {
                #expect(sortPartOrder(a, b) == KeyEncoding.compare(a, b).signum())
            }
            // Bounds used by range reads always enclose the key.
            #expect(KeyEncoding.compareBytes(KeyEncoding.sortLowerSeek(a), pa) <= 0)
            #expect(KeyEncoding.compareBytes(pa, KeyEncoding.sortUpperBound(a)) <= 0)
        }
        #expect(KeyEncoding.containsDigest(KeyEncoding.itemKey(partition: longPartition, sort: nil)))
        #expect(!KeyEncoding.containsDigest(KeyEncoding.itemKey(partition: .s("short"), sort: .s("short"))))
    }

    @Test func partitionPrefixesAreDistinctAcrossTypes() {
        let asString = KeyEncoding.partitionPrefix(.s("1"))
        let asBinary = KeyEncoding.partitionPrefix(.b(Array("1".utf8)))
        #expect(asString != asBinary)
        #expect(KeyEncoding.partitionPrefix(.n(1)) == KeyEncoding.partitionPrefix(.n(try! Number("1.0"))))
    }
}
