import Foundation
import HTTPTypes
import Testing
@testable import ShoalServer

/// The web console's server side that needs no browser: the embedded files, the origin and
/// session rules, the metrics history. (The pages themselves are tested in a real Chromium by
/// tools/compat/test_console_browser.py.)
@Suite struct ConsoleTests {
    /// The embedded copy is what `web/` holds: run tools/console-assets after editing a file there.
    @Test func embeddedFilesMatchTheWebFolder() throws {
        let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ShoalServer/Console/web")
        var found: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(at: web, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let name = String(url.standardizedFileURL.path.dropFirst(web.standardizedFileURL.path.count + 1))
            found[name] = try String(contentsOf: url, encoding: .utf8)
        }
        #expect(!found.isEmpty)
        #expect(Set(found.keys) == Set(ConsoleAssetData.files.keys), "run tools/console-assets")
        for (name, text) in found {
            #expect(ConsoleAssetData.files[name] == text, "\(name) differs from its embedded copy: run tools/console-assets")
        }
    }

    @Test func noPageRunsInlineScriptOrLoadsAnotherOrigin() throws {
        let index = try #require(ConsoleAssetData.files["index.html"])
        #expect(!index.contains("<script>"))
        #expect(!index.contains("onclick="))
        for (name, text) in ConsoleAssetData.files {
            // The SVG namespace is a name, not a place anything is loaded from.
            #expect(!text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"), "\(name) names another origin")
            #expect(!text.contains("https://"), "\(name) names another origin")
            #expect(!text.contains("localStorage"), "\(name) keeps something in local storage")
            #expect(!text.contains("eval("), "\(name) evaluates text")
        }
        #expect(ConsoleRoutes.contentSecurityPolicy.contains("script-src 'self'"))
        #expect(!ConsoleRoutes.contentSecurityPolicy.contains("unsafe"))
        #expect(ConsoleRoutes.contentSecurityPolicy.contains("frame-ancestors 'none'"))
    }

    @Test(arguments: [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", true), ("http://localhost:8000", "LOCALHOST:8000", true),
        ("http://127.0.0.1", "127.0.0.1:80", true), ("https://h.example", "h.example", true), ("https://h.example", "h.example:443", true),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", false), ("http://localhost:8000", "127.0.0.1:8000", false),
        ("http://[::1]:8000", "[::1]:8000", true), ("null", "127.0.0.1:8000", false), ("file://", "127.0.0.1:8000", false),
        ("http://127.0.0.1:8000", "127.0.0.1:x", false), ("http://evil.example", "127.0.0.1", false),
        // Host carries no scheme: a page over TLS (through a proxy) is judged by its own default port.
        ("https://127.0.0.1", "127.0.0.1", true), ("http://127.0.0.1", "127.0.0.1:443", false),
    ])
    func sameOriginMeansSameHostAndPort(origin: String, authority: String, same: Bool) {
        #expect(FrontDoorPolicy.isSameOrigin(origin, authority: authority) == same)
    }

    @Test func basePathsAreCanonicalPathsOnly() {
        #expect(ConsoleSettings.normalizedBasePath("") == "")
        #expect(ConsoleSettings.normalizedBasePath("/") == "")
        #expect(ConsoleSettings.normalizedBasePath("shoal/") == "/shoal")
        #expect(ConsoleSettings.normalizedBasePath("/a/b-c.d") == "/a/b-c.d")
        for bad in ["/../x", "/a/./b", "/a b", "/a?b", "/a#b", "/%2e", "/a\\b"] {
            #expect(ConsoleSettings.normalizedBasePath(bad) == nil, "\(bad)")
        }
        #expect(ConsoleSettings(basePath: "/shoal").root == "/shoal/console")
    }

    @Test func sessionsNeedTheRightSecretAndExpire() throws {
        let sessions = ConsoleSessions(credentials: ["AK": "secret"], principals: ["AK": "arn:aws:iam::111122223333:user/x"], lifetime: .seconds(60))
        #expect(sessions.logIn(accessKey: "AK", secret: "wrong") == nil)
        #expect(sessions.logIn(accessKey: "NOPE", secret: "secret") == nil)
        let now = Date()
        let (token, session) = try #require(sessions.logIn(accessKey: "AK", secret: "secret", now: now))
        #expect(token.count == 64 && session.csrf.count == 64 && token != session.csrf)
        #expect(session.principalArn == "arn:aws:iam::111122223333:user/x")
        #expect(sessions.session(token, now: now.addingTimeInterval(59))?.accessKey == "AK")
        #expect(sessions.session(token, now: now.addingTimeInterval(61)) == nil)
        #expect(sessions.session(token, now: now) == nil, "an expired session is gone for good")
        let (other, _) = try #require(sessions.logIn(accessKey: "AK", secret: "secret"))
        sessions.logOut(other)
        #expect(sessions.session(other) == nil)
        #expect(sessions.session("") == nil)
    }

    @Test func failedLoginsAreThrottled() {
        let sessions = ConsoleSessions(credentials: ["AK": "s"], principals: [:], lifetime: .seconds(3600))
        let now = Date()
        for _ in 0..<ConsoleSessions.maxFailures {
            #expect(!sessions.throttled(now: now))
            #expect(sessions.logIn(accessKey: "AK", secret: "guess", now: now) == nil)
        }
        #expect(sessions.throttled(now: now))
        #expect(sessions.throttled(now: now.addingTimeInterval(59)))
        #expect(!sessions.throttled(now: now.addingTimeInterval(61)))
    }

    @Test func sessionsAreBounded() {
        let sessions = ConsoleSessions(credentials: ["AK": "s"], principals: [:], lifetime: .seconds(3600))
        var first: String?
        for index in 0..<(ConsoleSessions.maxSessions + 10) {
            let token = sessions.logIn(accessKey: "AK", secret: "s", now: Date().addingTimeInterval(Double(index)))?.token
            if index == 0 { first = token }
        }
        #expect(sessions.count == ConsoleSessions.maxSessions)
        #expect(first.flatMap { sessions.session($0) } == nil, "the oldest went first")
    }

    @Test func cookiesAreReadFromEveryCookieHeader() {
        var headers = HTTPFields()
        headers.append(HTTPField(name: .cookie, value: "a=1; shoal_consolex=no"))
        headers.append(HTTPField(name: .cookie, value: "b=2;  shoal_console=tok=en "))
        #expect(ConsoleGate.cookie("shoal_console", in: headers) == "tok=en")
        #expect(ConsoleGate.cookie("c", in: headers) == nil)
    }

    @Test func latencyHistogramsGiveQuantiles() {
        #expect(MetricsHistory.latencyBucket(nanoseconds: 1) == 0)
        #expect(MetricsHistory.latencyBucket(nanoseconds: 10_000_000_000_000) == MetricsHistory.latencyBuckets - 1)
        var histogram = [Int](repeating: 0, count: MetricsHistory.latencyBuckets)
        for micros in 1...100 { histogram[MetricsHistory.latencyBucket(nanoseconds: Int64(micros) * 1000)] += 1 }
        let p50 = try! #require(MetricsHistory.quantile(histogram, 0.5))
        let p99 = try! #require(MetricsHistory.quantile(histogram, 0.99))
        // Each bucket spans a factor of √2: the bound is at most that far above the true value.
        #expect(p50 >= 50e-6 && p50 <= 50e-6 * 1.42)
        #expect(p99 >= 99e-6 && p99 <= 99e-6 * 1.42)
        #expect(MetricsHistory.quantile([Int](repeating: 0, count: 4), 0.5) == nil)
    }

    @Test func historyKeepsFifteenMinutesAndBoundedKeys() {
        let history = MetricsHistory()
        let start = Date(timeIntervalSince1970: 1_000_000)
        for second in stride(from: 0, to: 1200, by: 5) {
            history.record(operation: "GetItem", nanoseconds: 1_000_000, errorType: second % 10 == 0 ? "ValidationException" : nil,
                           now: start.addingTimeInterval(Double(second)))
        }
        let (buckets, _) = history.snapshot(now: start.addingTimeInterval(1199))
        #expect(buckets.count == MetricsHistory.bucketCount)
        #expect(buckets.allSatisfy { $0.operations["GetItem"]?.count == 2 && $0.errorTypes["ValidationException"] == 1 })
        for index in 0..<(MetricsHistory.maxKeys + 50) {
            history.record(operation: "op\(index)", nanoseconds: 1000, errorType: "E\(index)", now: start.addingTimeInterval(1199))
        }
        let last = history.snapshot(now: start.addingTimeInterval(1199)).requests.last!
        #expect(last.operations.count <= MetricsHistory.maxKeys + 1)
        #expect(last.operations["other"]?.count == 51)
        #expect(last.errorTypes.count == MetricsHistory.maxKeys)
    }

    @Test func metricsRenderAsTheConsoleReadsThem() throws {
        let history = MetricsHistory()
        let now = Date()
        history.record(operation: "PutItem", nanoseconds: 2_000_000, errorType: nil, now: now)
        history.record(operation: "PutItem", nanoseconds: 4_000_000, errorType: "ConditionalCheckFailedException", now: now)
        var sample = MetricsHistory.GaugeSample(time: Int(now.timeIntervalSince1970))
        sample.tableItems["T"] = 3
        history.add(sample)
        let json = ConsoleFigures.render(history, hotKeys: .array([]), now: now)
        let text = String(decoding: JSONWriter.encode(json), as: UTF8.self)
        #expect(text.contains("\"PutItem\":{\"Count\":2,\"Errors\":1"))
        #expect(text.contains("\"ConditionalCheckFailedException\":1"))
        #expect(text.contains("\"TableItems\":{\"T\":3}"))
        #expect(text.contains("\"WindowSeconds\":900"))
    }
}
