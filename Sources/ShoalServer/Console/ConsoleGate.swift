import Foundation
import HTTPTypes
import Hummingbird

/// What every request to the console's API (`{base}/console/api/…`) passes after the front door:
///
/// - it carries `X-Shoal-Console: 1`, a header a page of another origin cannot add without a
///   CORS preflight, which the front door refuses;
/// - a request that changes something (any method but GET) names this server as its `Origin`, and
///   a browser's `Sec-Fetch-Site`, where sent, says `same-origin`;
/// - under `--auth sigv4` it carries the session cookie of a login, and a request that changes
///   something also the session's CSRF token in `X-Shoal-CSRF`.
///
/// The answer is who the request acts as: nil under `--auth none` (as an unsigned request), the
/// session key's principal under sigv4.
struct ConsoleGate: Sendable {
    static let consoleHeader = HTTPField.Name("X-Shoal-Console")!
    static let csrfHeader = HTTPField.Name("X-Shoal-CSRF")!
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// nil under `--auth none`.
    let sessions: ConsoleSessions?

    enum Admission {
        case admitted(ConsoleSessions.Session?, token: String?)
        case refused(HTTPResponse.Status, String)
    }

    func admit(_ request: Request, needsSession: Bool = true) -> Admission {
        guard request.headers[ConsoleGate.consoleHeader] == "1" else {
            return .refused(.forbidden, "Console API requests come from the console's own pages (X-Shoal-Console missing)")
        }
        let changes = request.method != .get && request.method != .head
        if let site = request.headers[ConsoleGate.fetchSite], site != "same-origin" {
            return .refused(.forbidden, "Console API requests must come from the console's own origin (Sec-Fetch-Site: \(site))")
        }
        if let origin = request.headers[.origin] {
            guard FrontDoorPolicy.isSameOrigin(origin, authority: request.head.authority) else {
                return .refused(.forbidden, "Origin \(origin) is not this server's")
            }
        } else if changes {
            return .refused(.forbidden, "A console request that changes something must name its Origin")
        }
        guard let sessions else { return .admitted(nil, token: nil) }
        let token = ConsoleGate.cookie(ConsoleSessions.cookieName, in: request.headers)
        guard let token, let session = sessions.session(token) else {
            return needsSession ? .refused(.unauthorized, "Log in to the console with an access key first (no session, or it expired)")
                : .admitted(nil, token: nil)
        }
        if changes {
            guard let csrf = request.headers[ConsoleGate.csrfHeader], ConsoleSessions.constantTimeEqual(csrf, session.csrf) else {
                return .refused(.forbidden, "The console request lacks its session's CSRF token")
            }
        }
        return .admitted(session, token: token)
    }

    /// The value of cookie `name` among the request's `Cookie` headers.
    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        for line in headers[values: .cookie] {
            for pair in line.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}
