import Foundation
import Synchronization

/// `ClientRequestToken`s of TransactWriteItems calls of the last 10 minutes: the same token with
/// the same request returns the first call's result without writing again; with another request
/// it is `IdempotentParameterMismatchException`. Kept in memory (a restart forgets them).
final class IdempotencyTokens: Sendable {
    static let window: TimeInterval = 600

    private enum State {
        case running(TransactWriteItemsRequest)
        case done(TransactWriteItemsRequest, TransactWriteItemsResponse, finished: Date)
    }

    private let tokens = Mutex<[String: State]>([:])

    static func validate(_ token: String) throws(ShoalError) {
        guard !token.isEmpty else {
            throw .validation("1 validation error detected: Value '' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard token.count <= 36 else {
            throw .validation("1 validation error detected: Value '\(token)' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")
        }
    }

    /// Claims `token` for `request`. - Returns: the earlier call's response to return again, or nil to run it.
    func begin(token: String, request: TransactWriteItemsRequest, now: Date = Date()) throws(ShoalError) -> TransactWriteItemsResponse? {
        let result: Result<TransactWriteItemsResponse?, ShoalError> = tokens.withLock { tokens in
            tokens = tokens.filter { _, state in
                if case let .done(_, _, finished) = state { return now.timeIntervalSince(finished) < IdempotencyTokens.window }
                return true
            }
            switch tokens[token] {
            case nil:
                tokens[token] = .running(request)
                return .success(nil)
            case let .running(earlier):
                guard earlier == request else { return .failure(IdempotencyTokens.mismatch) }
                return .failure(ShoalError(.transactionInProgress, "The transaction with the given request token is already in progress."))
            case let .done(earlier, response, _):
                guard earlier == request else { return .failure(IdempotencyTokens.mismatch) }
                return .success(IdempotencyTokens.replayed(response))
            }
        }
        return try result.get()
    }

    private static let mismatch = ShoalError(.idempotentParameterMismatch,
                                             "The request uses the same client token as a previous, but non-identical request.")

    /// A repeated call reads the items instead of writing them: its capacity is reported as reads.
    private static func replayed(_ response: TransactWriteItemsResponse) -> TransactWriteItemsResponse {
        var replay = response
        replay.consumedCapacity = response.consumedCapacity.map { table in
            var read = TableCapacity(tableName: table.tableName)
            read.readUnits = table.total / 2
            read.capacity.table = read.readUnits
            return read
        }
        return replay
    }

    func finish(token: String, response: TransactWriteItemsResponse, now: Date = Date()) {
        tokens.withLock { tokens in
            if case let .running(request) = tokens[token] { tokens[token] = .done(request, response, finished: now) }
        }
    }

    /// The call failed: the token may be used again.
    func abandon(token: String) {
        tokens.withLock { tokens in
            if case .running = tokens[token] { tokens[token] = nil }
        }
    }
}
