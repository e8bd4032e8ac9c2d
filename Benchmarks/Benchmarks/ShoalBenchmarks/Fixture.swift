import Foundation
import GRDB
import LMDB
@_spi(Benchmarks) import Shoal

/// The shared data set: the same items in Shoal, in raw LMDB (Shoal's own key and value
/// bytes, one environment) and in SQLite through GRDB (WAL, `(pk, sk)` primary key, the same
/// value bytes as a blob). Built once on disk and reused by every benchmark process.
struct Fixture: @unchecked Sendable {
    // @unchecked: DatabasePool is thread-safe; the other members are Sendable.
    static let itemCount = ProcessInfo.processInfo.environment["SHOAL_BENCH_ITEMS"].flatMap(Int.init) ?? 1_000_000
    static let partitionSize = 100
    /// Named by size and storage format, so a format change never reuses stale data.
    /// Bump when the fixture's own layout (the SQLite schema, the items) changes.
    static let fixtureLayout = 2
    static let directory = NSTemporaryDirectory() + "shoal-bench-fixture-v\(StorageFormat.version).\(fixtureLayout)-\(itemCount)"
    static let tableName = "Bench"

    let shoal: Shoal.Database
    let raw: Environment
    let rawItems: LMDB.Database
    let sqlite: DatabasePool

    /// Item `i`: partition `user-(i / 100)`, sort key `i % 100`, about 200 bytes in all.
    static func item(_ i: Int) -> Item {
        [
            "pk": .s("user-\(i / partitionSize)"),
            "sk": .n(Number(i % partitionSize)),
            "name": .s("Benchmark User Number \(i)"),
            "email": .s("user\(i)@example.invalid"),
            "bio": .s(String(repeating: "lorem ipsum ", count: 9) + "\(i)"),
            "age": .n(Number(age(i))),
            "active": .bool(i % 3 == 0),
        ]
    }

    /// 18…77; `age < 24` holds for exactly 10 % of the items.
    static func age(_ i: Int) -> Int { 18 + i % 60 }

    static func key(_ i: Int) -> Item {
        ["pk": .s("user-\(i / partitionSize)"), "sk": .n(Number(i % partitionSize))]
    }

    static func open() async throws -> Fixture {
        try await buildOnce(directory, build)
        return try connect()
    }

    private static func connect() throws -> Fixture {
        let shoal = try Shoal.Database.open(at: directory + "/shoal", options: DatabaseOptions(shardCount: 4, durability: .noSync))
        var options = EnvironmentOptions()
        options.noSync = true
        options.mapSize = 4 << 30
        let raw = try Environment(path: directory + "/lmdb", options: options)
        let rawItems = try raw.write { try $0.openDatabase(named: "items", create: true)! }
        let sqlite = try DatabasePool(path: directory + "/sqlite.db")
        return Fixture(shoal: shoal, raw: raw, rawItems: rawItems, sqlite: sqlite)
    }

    private static func build() async throws {
        print("Building the benchmark fixture: \(itemCount) items in \(directory)")
        let fixture = try connect()
        _ = try await fixture.shoal.createTable(CreateTableRequest(tableName: tableName, partitionKey: ("pk", .s), sortKey: ("sk", .n)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            let loaders = 8
            for loader in 0..<loaders {
                group.addTask {
                    var start = loader * 25
                    while start < itemCount {
                        let writes = (start..<min(start + 25, itemCount)).map { WriteRequest.put(item($0)) }
                        _ = try await fixture.shoal.batchWriteItem(BatchWriteItemRequest(requestItems: [tableName: writes]))
                        start += loaders * 25
                    }
                }
            }
            try await group.waitForAll()
        }
        var i = 0
        while i < itemCount {
            let end = min(i + 10_000, itemCount)
            try fixture.raw.write { txn in
                for j in i..<end {
                    let it = item(j)
                    try txn.put(fixture.rawItems, key: StorageFormat.key(partition: it["pk"]!, sort: it["sk"]!), value: StorageFormat.value(of: it))
                }
            }
            i = end
        }
        try await fixture.sqlite.write { db in
            // `age` is a plain column without an index, for the filtered-scan baseline.
            try db.execute(sql: "CREATE TABLE kv (pk TEXT NOT NULL, sk INTEGER NOT NULL, age INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID")
            let insert = try db.makeStatement(sql: "INSERT INTO kv (pk, sk, age, item) VALUES (?, ?, ?, ?)")
            for j in 0..<itemCount {
                let it = item(j)
                try insert.execute(arguments: ["user-\(j / partitionSize)", j % partitionSize, age(j), Data(StorageFormat.value(of: it))])
            }
        }
        fixture.shoal.close()
        print("Fixture ready")
    }
}

/// Runs `build` for a fixture directory unless a previous run completed it (a `ready` marker);
/// a directory left half-built is removed first.
func buildOnce(_ directory: String, _ build: () async throws -> Void) async throws {
    let ready = directory + "/ready"
    guard !FileManager.default.fileExists(atPath: ready) else { return }
    try? FileManager.default.removeItem(atPath: directory)
    try await build()
    _ = FileManager.default.createFile(atPath: ready, contents: Data())
}

/// Deterministic random numbers (SplitMix64) so every run reads the same keys.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Operations per second for `count` operations that took `duration`.
func rate(_ count: Int, _ duration: Duration) -> Int {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return Int(Double(count) / max(seconds, 1e-9))
}

/// Resident anonymous memory (heap and stacks, not the memory-mapped data files) in bytes.
func residentAnonymousBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
