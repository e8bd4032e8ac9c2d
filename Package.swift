// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Shoal", targets: ["Shoal"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "Zlib", targets: ["Zlib"]),
        .library(name: "ShoalServer", targets: ["ShoalServer"]),
        .library(name: "ShoalTesting", targets: ["ShoalTesting"]),
        .executable(name: "shoal", targets: ["shoal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "Zlib", dependencies: ["CZlib", "CZstd"]),
        .target(name: "Shoal", dependencies: [
            "LMDB", .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(
            name: "ShoalServer",
            dependencies: [
                "Shoal",
                "Zlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The console's web files are embedded by tools/console-assets (ConsoleAssetData.swift).
            exclude: ["Console/web"]
        ),
        .target(
            name: "ShoalTesting",
            dependencies: [
                "Shoal", "ShoalServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ShoalServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `shoal serve` with an in-process (closure) trigger, for the crash harness.
        .executableTarget(
            name: "shoal-crash-server",
            dependencies: [
                "ShoalServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CrashServer"
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "ShoalTests", dependencies: ["Shoal", "LMDB", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ShoalServerTests", dependencies: ["ShoalServer", "Zlib", "ShoalTesting"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, built only by tools/fuzz (SHOAL_FUZZ=1 with -sanitize=fuzzer): they need
// libFuzzer's driver, which a normal build does not link.
if Context.environment["SHOAL_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriver", path: "Tests/Fuzz/FuzzDriver"))
    for name in ["FuzzJSON", "FuzzAttributeValue", "FuzzExpressions", "FuzzNumber", "FuzzSigV4", "FuzzItemCodec", "FuzzTriggers", "FuzzImport",
                 "FuzzStreams", "FuzzLambda", "FuzzPartiQL"] {
        package.targets.append(.executableTarget(
            name: name, dependencies: ["FuzzDriver", "Shoal", "ShoalServer"], path: "Tests/Fuzz/\(name)"))
    }
}

