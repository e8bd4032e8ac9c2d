import CompressNIO
import NIOCore
import Zlib

/// The two content codings DynamoDB speaks, for request bodies and responses.
enum ContentCoding: String, Equatable {
    case gzip
    /// HTTP's `deflate`: zlib format (RFC 1950), not raw deflate.
    case deflate

    /// DynamoDB compresses only responses larger than this.
    static let responseThreshold = 4096

    /// The body after its `Content-Encoding` is undone. Only `gzip` and `deflate` (and no coding)
    /// are accepted; a body that does not decode completely is refused as DynamoDB refuses it
    /// (HTTP 500), one that inflates past `limit` is too large.
    static func decode(_ body: [UInt8], contentEncoding: String?, limit: Int) throws(ProtocolError) -> [UInt8] {
        let name = contentEncoding?.trimmingASCIIWhitespace().lowercased() ?? ""
        let format: Zlib.Format
        switch name {
        case "", "identity": return body
        case "gzip": format = .gzip
        case "deflate": format = .zlib
        default: throw .undecodableBody("Unsupported Content-Encoding: \(name)")
        }
        do {
            return try Zlib.inflate(body, format: format, limit: limit)
        } catch .tooLarge {
            throw .requestTooLarge
        } catch {
            throw .undecodableBody("The request body is not valid \(name) data")
        }
    }

    /// The coding for a response, from the first `Accept-Encoding` line (as DynamoDB reads it):
    /// elements split on commas; a coding's q is the first `q=` in its parameters (1 when absent
    /// or unreadable, capped at 1, excluded at 0 or below); a repeated coding keeps its highest q;
    /// `*` lends its q to codings not named; the highest q wins, ties going to named codings in
    /// header order, then to `*` (gzip before deflate). `identity` and unknown codings are ignored.
    static func negotiate(_ acceptEncoding: String?) -> ContentCoding? {
        guard let acceptEncoding else { return nil }
        var named: [(coding: ContentCoding, q: Double)] = []
        var wildcard: Double?
        for element in acceptEncoding.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = element.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).trimmingASCIIWhitespace().lowercased()
            guard !name.isEmpty else { continue }
            let q = parts.count > 1 ? quality(parts[1]) : 1
            if name == "*" {
                wildcard = max(wildcard ?? q, q)
            } else if let coding = ContentCoding(rawValue: name) {
                if let i = named.firstIndex(where: { $0.coding == coding }) {
                    named[i].q = max(named[i].q, q)
                } else {
                    named.append((coding, q))
                }
            }
        }
        var candidates = named
        if let wildcard {
            for coding in [ContentCoding.gzip, .deflate] where !named.contains(where: { $0.coding == coding }) {
                candidates.append((coding, wildcard))
            }
        }
        var best: (coding: ContentCoding, q: Double)?
        for candidate in candidates where candidate.q > 0 {
            if best == nil || candidate.q > best!.q { best = candidate }
        }
        return best?.coding
    }

    private static func quality(_ parameters: Substring) -> Double {
        guard let range = parameters.range(of: "q=") else { return 1 }
        let rest = parameters[range.upperBound...]
        let text = String(rest.prefix { $0 != ";" }).trimmingASCIIWhitespace()
        guard let value = Double(text), value.isFinite else { return 1 }
        return min(value, 1)
    }

    func compress(_ bytes: [UInt8]) -> [UInt8]? {
        var input = ByteBuffer(bytes: bytes)
        let algorithm: CompressionAlgorithm = self == .gzip ? .gzip() : .zlib()
        guard let compressed = try? input.compress(with: algorithm) else { return nil }
        return Array(compressed.readableBytesView)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
