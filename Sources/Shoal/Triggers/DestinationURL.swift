import Foundation

/// The webhook and on-failure URLs Shoal calls: how they are shown (secrets redacted) and which
/// ones a client may name (the operator's allowed prefixes).
public enum DestinationURL {
    /// The URL with its user information and query replaced by `***`, for every API answer and
    /// log line: both commonly carry tokens.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.host != nil else {
            // Not a URL we could take apart: show only its scheme.
            guard let scheme = text.range(of: "://") else { return "***" }
            return text[..<scheme.lowerBound] + "://***"
        }
        if components.user != nil || components.password != nil {
            components.user = "***"
            components.password = nil
        }
        if components.query != nil { components.percentEncodedQuery = "***" }
        if components.fragment != nil { components.fragment = nil }
        return components.string ?? "***"
    }

    /// Whether `text` lies under one of `prefixes` (`http(s)://host[:port]/path/`): the same
    /// scheme, host and port, no user information, no `.` or `..` path segments, and a path that
    /// starts with the prefix's path. Compared part by part, so `http://a@b/` never passes as `http://a`.
    public static func isAllowed(_ text: String, prefixes: [String]) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased(), !host.isEmpty, url.user == nil, url.password == nil else { return false }
        // No dot segments, plain or percent-encoded, and no encoded slashes: the path means what it says.
        let encodedPath = url.percentEncodedPath.lowercased()
        guard !encodedPath.contains("%2e"), !encodedPath.contains("%2f"), !encodedPath.contains("%5c"),
              !url.path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) else {
            return false
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return prefixes.contains { prefix in
            guard let allowed = URLComponents(string: prefix), allowed.scheme?.lowercased() == scheme,
                  allowed.host?.lowercased() == host, (allowed.port ?? (scheme == "https" ? 443 : 80)) == port else { return false }
            let base = allowed.path.isEmpty ? "/" : allowed.path
            let path = url.path.isEmpty ? "/" : url.path
            // "/hooks" allows "/hooks" and "/hooks/…", not "/hooksmith".
            return path == base || path.hasPrefix(base.hasSuffix("/") ? base : base + "/")
        }
    }
}
