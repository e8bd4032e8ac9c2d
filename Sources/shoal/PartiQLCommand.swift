import ArgumentParser
import Foundation
import Shoal
import ShoalServer

struct PartiQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partiql",
        abstract: "Run PartiQL statements: an interactive prompt, one statement (-c), or a file of them.",
        discussion: """
            At the prompt a statement ends with ';' and may span lines; a SELECT with more results \
            asks before each next page. \\history lists earlier statements (kept in ~/.shoal_partiql_history), \
            !N runs statement N again, \\q quits. With -c or --file every page is printed.
            """)

    @OptionGroup var location: TransferLocation

    @Option(name: .short, help: "Run this statement and exit.")
    var c: String?

    @Option(help: "Run the statements of this file (separated by ';') and exit.")
    var file: String?

    @Option(help: "Parameters for the statement's '?' placeholders: a JSON array of DynamoDB JSON values, e.g. '[{\"S\":\"x\"}]'.")
    var parameters: String?

    @Flag(help: "Print items as DynamoDB JSON, one per line, instead of a table.")
    var json = false

    func run() async throws {
        let (target, database) = try location.open(readOnly: false)
        defer { database?.close() }
        let session = try PartiQLSession(target)
        if let c {
            try await runAll(session, c)
        } else if let file {
            let script = try String(contentsOfFile: file, encoding: .utf8)
            for statement in PartiQLSession.statements(in: script) { try await runAll(session, statement) }
        } else {
            try await interactive(session)
        }
    }

    private func show(_ page: PartiQLSession.Page) {
        if json {
            for item in page.items { print(item) }
        } else {
            print(PartiQLSession.table(page))
        }
    }

    /// Every page of one statement.
    private func runAll(_ session: PartiQLSession, _ statement: String) async throws {
        var token: String?
        repeat {
            let page = try await session.execute(statement, parameters: parameters, nextToken: token)
            show(page)
            token = page.nextToken
        } while token != nil
    }

    private func interactive(_ session: PartiQLSession) async throws {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let historyPath = (home as NSString).appendingPathComponent(".shoal_partiql_history")
        var history = ((try? String(contentsOfFile: historyPath, encoding: .utf8)) ?? "")
            .split(separator: "\u{1E}").map(String.init).filter { !$0.isEmpty }
        var pending = ""
        print("shoal partiql — end a statement with ';', \\q to quit")
        while true {
            FileHandle.standardOutput.write(Data((pending.isEmpty ? "partiql> " : "      -> ").utf8))
            guard let line = readLine() else { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty {
                if trimmed == "\\q" || trimmed == "exit" || trimmed == "quit" { break }
                if trimmed == "\\history" {
                    for (n, statement) in history.enumerated() { print("\(n + 1)  \(statement)") }
                    continue
                }
                if trimmed.hasPrefix("!"), let n = Int(trimmed.dropFirst()), n >= 1, n <= history.count {
                    print(history[n - 1])
                    await runInteractive(session, history[n - 1])
                    continue
                }
                if trimmed.isEmpty { continue }
            }
            pending += (pending.isEmpty ? "" : "\n") + line
            guard trimmed.hasSuffix(";") else { continue }
            let statements = PartiQLSession.statements(in: pending)
            pending = ""
            for statement in statements {
                history.append(statement)
                if history.count > 500 { history.removeFirst(history.count - 500) }
                try? history.joined(separator: "\u{1E}").write(toFile: historyPath, atomically: true, encoding: .utf8)
                await runInteractive(session, statement)
            }
        }
    }

    /// One statement at the prompt: a page at a time, asking before the next; errors are printed.
    private func runInteractive(_ session: PartiQLSession, _ statement: String) async {
        var token: String?
        repeat {
            do {
                let page = try await session.execute(statement, parameters: parameters, nextToken: token)
                show(page)
                token = page.nextToken
            } catch {
                print("error: \(error)")
                return
            }
            if token != nil {
                FileHandle.standardOutput.write(Data("-- more: Enter for the next page, q to stop: ".utf8))
                guard let answer = readLine(), answer.trimmingCharacters(in: .whitespaces).lowercased() != "q" else { return }
            }
        } while token != nil
    }
}
