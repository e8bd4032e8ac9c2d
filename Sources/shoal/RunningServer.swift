import Foundation
import ShoalServer

/// The address a running `shoal serve` recorded in its data directory (nil when none holds it).
func runningServer(of data: String) -> String? {
    guard let first = endpointLines(of: data).first else { return nil }
    return first.isEmpty ? nil : first
}

/// Where the server that holds the data directory may write backups (its `--backup-root`).
func runningServerBackupRoot(of data: String) -> String? {
    endpointLines(of: data).dropFirst().first { $0.hasPrefix("backup-root ") }.map { String($0.dropFirst("backup-root ".count)) }
}

private func endpointLines(of data: String) -> [String] {
    guard let text = try? String(contentsOfFile: data + "/" + AdminClient.endpointFile, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
}
