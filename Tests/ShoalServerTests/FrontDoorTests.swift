import Foundation
import Testing
@testable import Shoal
@testable import ShoalServer

/// The pieces of the front door and the outbound rules that need no server.
@Suite struct DestinationAndPathTests {
    @Test func urlsAreRedactedOfUserInformationAndQueries() {
        #expect(DestinationURL.redacted("http://user:pw@h:8/p?token=s&x=1#f") == "http://***@h:8/p?***")
        #expect(DestinationURL.redacted("https://h/p") == "https://h/p")
        #expect(!DestinationURL.redacted("not a url with secret").contains("secret"))
    }

    @Test(arguments: [
        ("http://127.0.0.1:9/hooks/dlq", true), ("http://127.0.0.1:9/hooks/", true), ("http://127.0.0.1:9/hooks", false),
        ("http://127.0.0.1:9/hooks/a?x=1", true), ("HTTP://127.0.0.1:9/hooks/a", true),
        ("http://127.0.0.1:9/hooksmith", false), ("http://127.0.0.1:9/other", false), ("https://127.0.0.1:9/hooks/a", false),
        ("http://127.0.0.1:10/hooks/a", false), ("http://127.0.0.1:9@evil.example/hooks/a", false),
        ("http://u:p@127.0.0.1:9/hooks/a", false), ("http://127.0.0.1:9/hooks/../admin", false),
        ("http://127.0.0.1:9/hooks/%2e%2e/admin", false), ("http://127.0.0.1:9/hooks/a%2Fb", false),
        ("http://evil.example/hooks/a", false), ("ftp://127.0.0.1:9/hooks/a", false), ("", false),
    ])
    func destinationsMustLieUnderAnAllowedPrefix(url: String, allowed: Bool) {
        #expect(DestinationURL.isAllowed(url, prefixes: ["http://127.0.0.1:9/hooks/"]) == allowed)
    }

    @Test func nothingIsAllowedWithoutPrefixes() {
        #expect(!DestinationURL.isAllowed("http://127.0.0.1:9/hooks/a", prefixes: []))
    }

    @Test func backupPathsStayUnderTheRootWithoutLinks() throws {
        let root = NSTemporaryDirectory() + "shoal-root-" + UUID().uuidString
        let outside = NSTemporaryDirectory() + "shoal-out-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        #expect(try AdminOperations.backupDestination(root + "/a/b", root: root) == root + "/a/b")
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
        for path in [root + "/link/x", root + "/../x", root + "/./x", root + "//x", root, outside + "/x", "x", root + "/a/../../x"] {
            #expect(throws: AdminOperations.refusedPath) { _ = try AdminOperations.backupDestination(path, root: root) }
        }
        #expect(throws: AdminOperations.refusedPath) { _ = try AdminOperations.backupDestination(root + "/a", root: nil) }
    }
}
