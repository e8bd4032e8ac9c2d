import Crypto
import Foundation
import Synchronization

/// The console's logins under `--auth sigv4`: a person gives an access key and its secret once;
/// the server answers with a random session token in an HttpOnly, `SameSite=Strict` cookie and
/// keeps, in memory only, which key it stands for, until it expires or the person logs out. The
/// secret is checked and forgotten; it is never stored, sent back or put in a URL.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        let accessKey: String
        /// The key's principal (`principal_arn` in the credentials file; nil: the server account).
        let principalArn: String?
        /// Sent back by the page in `X-Shoal-CSRF` with every request that changes something.
        let csrf: String
        let expires: Date
    }

    /// The most sessions kept at once; the oldest goes when a login would pass it.
    static let maxSessions = 256
    static let cookieName = "shoal_console"

    private let credentials: [String: String]
    private let principals: [String: String]
    private let lifetime: TimeInterval
    private let sessions = Mutex<[String: Session]>([:])
    /// When recent logins failed: past ``maxFailures`` in a minute, logins wait for the minute to pass.
    private let failures = Mutex<[Date]>([])
    static let maxFailures = 20

    init(credentials: [String: String], principals: [String: String], lifetime: Duration) {
        self.credentials = credentials
        self.principals = principals
        self.lifetime = max(1, TimeInterval(lifetime.components.seconds))
    }

    /// Whether too many logins failed in the last minute to try another now (guessing is slowed
    /// down for everyone; a person waits a minute).
    func throttled(now: Date = Date()) -> Bool {
        failures.withLock { list in
            list.removeAll { now.timeIntervalSince($0) > 60 }
            return list.count >= ConsoleSessions.maxFailures
        }
    }

    /// A new session for a key whose secret matches (compared in constant time), or nil.
    func logIn(accessKey: String, secret: String, now: Date = Date()) -> (token: String, session: Session)? {
        guard let expected = credentials[accessKey], ConsoleSessions.constantTimeEqual(expected, secret) else {
            failures.withLock { $0.append(now) }
            return nil
        }
        let token = ConsoleSessions.randomToken()
        let session = Session(accessKey: accessKey, principalArn: principals[accessKey], csrf: ConsoleSessions.randomToken(),
                              expires: now.addingTimeInterval(lifetime))
        sessions.withLock { all in
            all = all.filter { $0.value.expires > now }
            if all.count >= ConsoleSessions.maxSessions, let oldest = all.min(by: { $0.value.expires < $1.value.expires }) {
                all.removeValue(forKey: oldest.key)
            }
            all[token] = session
        }
        return (token, session)
    }

    /// The live session of a token (an expired one is removed).
    func session(_ token: String, now: Date = Date()) -> Session? {
        sessions.withLock { all in
            guard let session = all[token] else { return nil }
            if session.expires <= now {
                all.removeValue(forKey: token)
                return nil
            }
            return session
        }
    }

    func logOut(_ token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: token) }
    }

    var count: Int { sessions.withLock { $0.count } }

    /// 256 random bits in hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Equality whose time does not depend on where the texts differ (their digests are compared).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = SHA256.hash(data: Data(a.utf8)), right = SHA256.hash(data: Data(b.utf8))
        var difference: UInt8 = 0
        for (x, y) in zip(left, right) { difference |= x ^ y }
        return difference == 0
    }
}
