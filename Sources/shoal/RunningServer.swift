import Foundation
import ShoalServer

/// The address a running `shoal serve` recorded in its data directory (nil when none holds it).
func runningServer(of data: String) -> String? {
    guard let text = try? String(contentsOfFile: data + "/" + AdminClient.endpointFile, encoding: .utf8) else { return nil }
    let address = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return address.isEmpty ? nil : address
}
