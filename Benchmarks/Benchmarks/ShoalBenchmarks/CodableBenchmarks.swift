import Benchmark
import Foundation
import GRDB
@_spi(Benchmarks) import Shoal

/// The fixture's item as an application's struct: Shoal decodes it with `Codable` from the
/// stored item, GRDB with its `Decodable` record support from a row of typed columns.
struct BenchUser: Codable, FetchableRecord, Equatable {
    var pk: String
    var sk: Int
    var name: String
    var email: String
    var bio: String
    var age: Int
    var active: Bool
}

extension Fixture {
    /// A `users` table in the SQLite fixture holding the items as typed columns (what an
    /// application decoding records from SQLite would have), added once.
    func addUsersTable() async throws {
        try await sqlite.write { db in
            guard try !db.tableExists("users") else { return }
            try db.execute(sql: """
                CREATE TABLE users (pk TEXT NOT NULL, sk INTEGER NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
                bio TEXT NOT NULL, age INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)")
            for i in 0..<Fixture.itemCount {
                let item = Fixture.item(i)
                func text(_ name: AttributeName) -> String { if case .s(let s) = item[name] { s } else { "" } }
                try insert.execute(arguments: [text("pk"), i % Fixture.partitionSize, text("name"), text("email"), text("bio"),
                                               Fixture.age(i), i % 3 == 0])
            }
        }
    }
}

func registerCodableBenchmarks(openFixture: @escaping Benchmark.BenchmarkSetupHook) {
    Benchmark("Codable query of 100 items into structs",
              configuration: .init(metrics: [.shoalRate, .grdbRate, .timesGRDB], warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5),
              closure: { benchmark async throws in
        let f = fixture!
        var rng = SplitMix(state: 11)
        let partitions = (0..<2_000).map { _ in Int.random(in: 0..<(Fixture.itemCount / Fixture.partitionSize), using: &rng) }
        let table = f.shoal.table(Fixture.tableName)
        let clock = ContinuousClock()
        let shoal = try await clock.measure {
            for p in partitions {
                let users = try await table.query(BenchUser.self, .s("user-\(p)"))
                precondition(users.count == Fixture.partitionSize)
                blackHole(users)
            }
        }
        let grdb = try clock.measure {
            for p in partitions {
                let users = try f.sqlite.read { db in
                    try BenchUser.fetchAll(db.cachedStatement(sql: "SELECT * FROM users WHERE pk = ? ORDER BY sk"), arguments: ["user-\(p)"])
                }
                precondition(users.count == Fixture.partitionSize)
                blackHole(users)
            }
        }
        let shoalRate = rate(partitions.count, shoal)
        let grdbRate = rate(partitions.count, grdb)
        benchmark.measurement(.shoalRate, shoalRate)
        benchmark.measurement(.grdbRate, grdbRate)
        benchmark.measurement(.timesGRDB, shoalRate * 100 / max(grdbRate, 1))
    }, setup: {
        fixture = try await Fixture.open()
        try await fixture.addUsersTable()
    })
}
