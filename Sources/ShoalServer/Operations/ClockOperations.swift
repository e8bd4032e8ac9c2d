import Foundation
import Shoal

/// The controllable clock (`ShoalAdmin_20261126.<Name>`): `GetClock` → `{"EpochMillis", "Mode"}`,
/// `SetClock {"EpochMillis"}` and `AdvanceClock {"Seconds"}` (a manual clock only; each answers
/// the time after it, once what came due has run: expiries, trims, trigger deliveries).
enum ClockOperations {
    static let names: Set<String> = ["GetClock", "SetClock", "AdvanceClock"]

    static func run(_ operation: String, _ r: RequestReader, database: Database) async throws(ProtocolError) -> JSONValue {
        switch operation {
        case "SetClock":
            guard case .number(let text)? = r.members["EpochMillis"], let millis = Double(text), millis.isFinite,
                  (0...253_402_300_799_000).contains(millis) else {
                throw .validation("EpochMillis must be a number of milliseconds since 1970 (up to the year 9999)")
            }
            try await engine { () async throws(ShoalError) in try await database.setClock(Date(timeIntervalSince1970: millis / 1000)) }
        case "AdvanceClock":
            guard case .number(let text)? = r.members["Seconds"], let seconds = Double(text), seconds.isFinite,
                  (0...3_153_600_000).contains(seconds) else {
                throw .validation("Seconds must be a number of seconds between 0 and 3153600000 (100 years)")
            }
            try await engine { () async throws(ShoalError) in _ = try await database.advanceClock(by: seconds) }
        default:
            break
        }
        let now = database.clock.now.timeIntervalSince1970 * 1000
        return .object([("EpochMillis", .number(String(Int64(now.rounded(.down))))), ("Mode", .string(database.clock.mode.rawValue))])
    }
}
