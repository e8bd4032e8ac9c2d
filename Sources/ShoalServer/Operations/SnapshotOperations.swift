import Foundation
import Shoal

/// Snapshots for tests (`ShoalAdmin_20261126.<Name>`): `CreateSnapshot {"Name"}`,
/// `RestoreSnapshot {"Name"}`, `DeleteSnapshot {"Name"}`, `ListSnapshots`, `ResetDatabase`.
/// Each holds no lease: it waits for the requests in flight, as a reshard does, and the requests
/// that arrive meanwhile wait for it.
enum SnapshotOperations {
    static let names: Set<String> = ["CreateSnapshot", "RestoreSnapshot", "DeleteSnapshot", "ListSnapshots", "ResetDatabase"]

    static func run(_ operation: String, _ r: RequestReader, host: DatabaseHost) async throws(ProtocolError) -> JSONValue {
        let lifecycle = host.lifecycle
        func name() throws(ProtocolError) -> String {
            guard let name = try r.string("Name") else { throw .validation("Name is required") }
            return name
        }
        switch operation {
        case "CreateSnapshot":
            let name = try name()
            let created = try await engineDetached { () async throws(ShoalError) in try await lifecycle.createSnapshot(named: name) }
            return .object([("Snapshot", describe(created))])
        case "RestoreSnapshot":
            let name = try name()
            let report = try await engineDetached { () async throws(ShoalError) in try await lifecycle.restoreSnapshot(named: name) }
            return .object([("ChangesUndone", .number(String(report.changesUndone))),
                            ("Milliseconds", .number(String(format: "%.3f", Double(report.duration.components.attoseconds) / 1e15
                                                                + Double(report.duration.components.seconds) * 1000)))])
        case "DeleteSnapshot":
            let name = try name()
            try await engineDetached { () async throws(ShoalError) in try await lifecycle.deleteSnapshot(named: name) }
            return .object([])
        case "ListSnapshots":
            let snapshots = try engine { () throws(ShoalError) in try lifecycle.listSnapshots() }
            return .object([("Snapshots", .array(snapshots.map(describe)))])
        default:
            try await engineDetached { () async throws(ShoalError) in try await lifecycle.resetDatabase() }
            return .object([])
        }
    }

    private static func describe(_ snapshot: SnapshotDescription) -> JSONValue {
        .object([("Name", .string(snapshot.name)), ("CreationDateTime", .number(String(snapshot.createdAt.timeIntervalSince1970)))])
    }
}
