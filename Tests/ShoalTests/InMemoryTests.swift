import Foundation
import Testing
@testable import Shoal

@Suite struct InMemoryTests {
    /// An in-memory database lives on the memory-backed filesystem, works like any other
    /// (indexes, streams, transactions) and leaves nothing behind when it closes.
    @Test func worksLikeADirectoryAndLeavesNothing() async throws {
        let db = try Database.open(inMemory: DatabaseOptions(shardCount: 2))
        let folder = (db.path as NSString).deletingLastPathComponent
        #expect(db.isInMemory && db.options.durability == .noSync)
        if FileManager.default.isWritableFile(atPath: "/dev/shm") { #expect(folder.hasPrefix("/dev/shm/shoal-memory-")) }
        var request = CreateTableRequest(tableName: "Things", partitionKey: ("pk", .s))
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "g", attributeType: .s))
        request.globalSecondaryIndexes = [GlobalSecondaryIndex("byG", partitionKey: "g")]
        request.streamSpecification = .enabled(.newImage)
        _ = try await db.createTable(request)
        _ = try await db.transactWrite { tx in
            tx.put(db.table("Things"), ["pk": "a", "g": "x"])
            tx.put(db.table("Things"), ["pk": "b", "g": "x"])
        }
        #expect(try await db.table("Things").index("byG").query(["g": "x"]).count == 2)
        let stream = try db.describeTable("Things").table.latestStreamArn!
        var records = 0
        for shard in try db.describeStream(streamArn: stream).shards {
            let iterator = try db.getShardIterator(streamArn: stream, shardId: shard.shardId, type: .trimHorizon)
            records += try db.getRecords(shardIterator: iterator, limit: 100).records.count
        }
        #expect(records == 2)
        #expect(FileManager.default.fileExists(atPath: folder))
        await db.shutdown()
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    /// A folder a killed process left behind (its lock free, older than a minute) is removed by
    /// the next in-memory open; one whose database is open is not.
    @Test func abandonedFoldersAreReclaimed() throws {
        let live = try Database.open(inMemory: DatabaseOptions(shardCount: 1))
        defer { live.close() }
        let liveFolder = (live.path as NSString).deletingLastPathComponent
        let abandoned = try Database.makeTemporaryFolder()
        try FileManager.default.createDirectory(atPath: abandoned + "/db", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: abandoned + "/db/LOCK", contents: Data()))
        let old = Date().addingTimeInterval(-3600)
        for folder in [abandoned, liveFolder] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder)
        }
        Database.removeAbandonedFolders()
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live.path))
    }
}
