import Foundation
import Testing
@testable import LMDB

/// A fresh directory per test, removed afterwards.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "lmdb-test-" + UUID().uuidString
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct EnvironmentTests {
    @Test func putGetDeleteRoundTrip() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        try env.write { txn in
            try txn.put(db, key: [1, 2], value: Array("hello".utf8))
            try txn.put(db, key: [1, 3], value: [])
        }
        #expect(try env.read { try $0.get(db, key: [1, 2]) } == Array("hello".utf8))
        #expect(try env.read { try $0.get(db, key: [1, 3]) } == [])
        #expect(try env.read { try $0.get(db, key: [9]) } == nil)
        let length = try env.read { txn in try txn.withValue(db, key: [1, 2]) { $0.count } }
        #expect(length == 5)
        #expect(try env.write { try $0.delete(db, key: [1, 2]) } == true)
        #expect(try env.write { try $0.delete(db, key: [1, 2]) } == false)
        #expect(try env.read { try $0.statistics(db).entries } == 1)
    }

    @Test func abortedWriteLeavesNothing() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { try $0.get(db, key: [1]) } == nil)
    }

    @Test func noOverwriteReportsKeyExists() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        try env.write { try $0.put(db, key: [1], value: [1]) }
        do {
            try env.write { try $0.put(db, key: [1], value: [2], flags: .noOverwrite) }
            Issue.record("expected keyExists")
        } catch LMDBError.keyExists {
            // expected
        }
        #expect(try env.read { try $0.get(db, key: [1]) } == [1])
    }

    @Test func missingDatabaseIsNil() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        #expect(try env.read { try $0.openDatabase(named: "nope") } == nil)
    }

    @Test func cursorWalksBothWaysAndSeeks() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        try env.write { txn in
            for k: UInt8 in [10, 20, 30, 40] { try txn.put(db, key: [k], value: [k / 10]) }
        }
        try env.read { txn in
            try txn.withCursor(db) { c in
                var forward: [UInt8] = []
                var more = try c.first()
                while more {
                    forward.append(c.key[0])
                    more = try c.next()
                }
                #expect(forward == [10, 20, 30, 40])
                var backward: [UInt8] = []
                more = try c.last()
                while more {
                    backward.append(c.key[0])
                    more = try c.previous()
                }
                #expect(backward == [40, 30, 20, 10])
                #expect(try c.seek(atOrAfter: [25]))
                #expect(c.key.array == [30] && c.value.array == [3])
                #expect(try c.seek(atOrBefore: [25]))
                #expect(c.key.array == [20])
                #expect(try c.seek(atOrBefore: [40]))
                #expect(c.key.array == [40])
                #expect(try c.seek(atOrBefore: [99]))
                #expect(c.key.array == [40])
                #expect(try c.seek(atOrBefore: [5]) == false)
                #expect(try c.seek(atOrAfter: [41]) == false)
                #expect(try c.seek(exactly: [20]))
                #expect(c.value.array == [2])
                #expect(try c.seek(exactly: [21]) == false)
            }
        }
    }

    @Test func fullMapGrowsWithoutLosingWrites() throws {
        let dir = TemporaryDirectory()
        var options = EnvironmentOptions()
        options.mapSize = 256 * 1024
        options.maxMapSize = 64 << 20
        let env = try Environment(path: dir.path, options: options)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        let value = [UInt8](repeating: 7, count: 1000)
        for batch in 0..<20 {
            try env.write { txn in
                for i in 0..<100 {
                    try txn.put(db, key: Array("k\(batch)-\(i)".utf8), value: value)
                }
            }
        }
        #expect(env.info().mapSize > 256 * 1024)
        #expect(try env.read { try $0.statistics(db).entries } == 2000)
        #expect(try env.read { try $0.get(db, key: Array("k19-99".utf8)) } == value)
    }

    @Test func fullMapAtTheLimitFailsClearly() throws {
        let dir = TemporaryDirectory()
        var options = EnvironmentOptions()
        options.mapSize = 128 * 1024
        options.maxMapSize = 256 * 1024
        let env = try Environment(path: dir.path, options: options)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        let value = [UInt8](repeating: 1, count: 4000)
        var failure: LMDBError?
        do {
            for i in 0..<1000 {
                try env.write { try $0.put(db, key: Array("key\(i)".utf8), value: value) }
            }
        } catch let error as LMDBError {
            failure = error
        }
        #expect(failure == LMDBError.mapFull)
        #expect(failure?.description.contains("map size limit") == true)
        // Committed writes are intact.
        #expect(try env.read { try $0.get(db, key: Array("key0".utf8)) } == value)
    }

    @Test func compactingCopyHoldsTheData() throws {
        let dir = TemporaryDirectory()
        let copy = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        try env.write { txn in
            for i in 0..<500 { try txn.put(db, key: Array("k\(i)".utf8), value: Array("v\(i)".utf8)) }
        }
        try env.copy(to: copy.path, compact: true)
        let reopened = try Environment(path: copy.path)
        let db2 = try reopened.read { try $0.openDatabase(named: "items")! }
        #expect(try reopened.read { try $0.statistics(db2).entries } == 500)
        #expect(try reopened.read { try $0.get(db2, key: Array("k42".utf8)) } == Array("v42".utf8))
        #expect(env.statistics().entries >= 1)
        #expect(env.maxKeySize == 511)
    }

    @Test func errorsCarryCodeAndMessage() {
        let error = LMDBError(code: LMDBError.mapFull.code, context: "test")
        #expect(error.message.contains("MDB_MAP_FULL"))
        #expect(error.description.contains("test"))
        #expect(LMDBError.mapFull ~= error)
    }

    @Test func openFailureReportsPath() {
        #expect(throws: LMDBError.self) {
            _ = try Environment(path: "/proc/definitely/not/here")
        }
    }

    @Test func readersSeeASnapshotWhileWriting() throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let db = try env.write { try $0.openDatabase(named: "items", create: true)! }
        try env.write { try $0.put(db, key: [1], value: [1]) }
        try env.read { snapshot in
            // A writer on another thread commits while this snapshot stays open.
            let thread = Thread {
                try? env.write { try $0.put(db, key: [1], value: [2]) }
            }
            thread.start()
            while try env.read({ try $0.get(db, key: [1]) }) != [2] { usleep(1000) }
            #expect(try snapshot.get(db, key: [1]) == [1])
        }
        #expect(try env.read { try $0.get(db, key: [1]) } == [2])
    }
}
