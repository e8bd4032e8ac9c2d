import Benchmark
import Zlib

extension BenchmarkMetric {
    static let zlibSmall = BenchmarkMetric.custom("zlib crc32, 200 B bodies/s", polarity: .prefersLarger, useScalingFactor: false)
    static let tableSmall = BenchmarkMetric.custom("byte-wise table, 200 B bodies/s", polarity: .prefersLarger, useScalingFactor: false)
    static let zlibPage = BenchmarkMetric.custom("zlib crc32, 1 MB pages/s", polarity: .prefersLarger, useScalingFactor: false)
    static let tablePage = BenchmarkMetric.custom("byte-wise table, 1 MB pages/s", polarity: .prefersLarger, useScalingFactor: false)
}

/// The hand-written CRC-32 the server used before zlib's, kept here as the baseline.
private enum ByteWiseCRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

func registerChecksumBenchmarks() {
    Benchmark("x-amz-crc32: zlib vs byte-wise table",
              configuration: .init(metrics: [.zlibSmall, .tableSmall, .zlibPage, .tablePage], warmupIterations: 1,
                                   maxDuration: .seconds(10), maxIterations: 5),
              closure: { benchmark in
        // A GetItem response and a full Query page.
        let small = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let page = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        precondition(Zlib.crc32(page) == ByteWiseCRC32.checksum(page))
        let clock = ContinuousClock()
        var sink: UInt32 = 0
        let smallRounds = 200_000
        let pageRounds = 20
        let zlibSmall = clock.measure { for _ in 0..<smallRounds { sink ^= Zlib.crc32(small) } }
        let tableSmall = clock.measure { for _ in 0..<smallRounds { sink ^= ByteWiseCRC32.checksum(small) } }
        let zlibPage = clock.measure { for _ in 0..<pageRounds { sink ^= Zlib.crc32(page) } }
        let tablePage = clock.measure { for _ in 0..<pageRounds { sink ^= ByteWiseCRC32.checksum(page) } }
        blackHole(sink)
        benchmark.measurement(.zlibSmall, rate(smallRounds, zlibSmall))
        benchmark.measurement(.tableSmall, rate(smallRounds, tableSmall))
        benchmark.measurement(.zlibPage, rate(pageRounds, zlibPage))
        benchmark.measurement(.tablePage, rate(pageRounds, tablePage))
    })
}
