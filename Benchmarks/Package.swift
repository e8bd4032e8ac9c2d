// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that `swift build` and `swift test` of the root
// never compile benchmark-only dependencies (ordo-one/benchmark, GRDB).
let package = Package(
    name: "ShoalBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Shoal", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "ShoalBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Shoal", package: "Shoal"),
                .product(name: "LMDB", package: "Shoal"),
                .product(name: "Zlib", package: "Shoal"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ShoalServer", package: "Shoal"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/ShoalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The HTTP ceiling for tools/bench-http: a Hummingbird route answering a fixed 60-byte JSON body.
        .executableTarget(
            name: "BareHTTPServer",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tools/BareHTTPServer"
        ),
        .executableTarget(
            name: "ReadProfile",
            dependencies: [.product(name: "Shoal", package: "Shoal")],
            path: "Tools/ReadProfile"
        ),
    ],
    swiftLanguageModes: [.v6]
)
