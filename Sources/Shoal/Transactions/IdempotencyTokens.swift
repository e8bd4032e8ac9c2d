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

    private struct Tokens {
        var byToken: [String: State] = [:]
        /// When expired tokens were last dropped (at most once a second, not on every call).
        var purged = Date.distantPast
    }

    private let tokens = Mutex(Tokens())

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
        let result: Result<TransactWriteItemsResponse?, ShoalError> = tokens.withLock { state in
            if now.timeIntervalSince(state.purged) >= 1 {
                state.byToken = state.byToken.filter { !IdempotencyTokens.expired($0.value, now: now) }
                state.purged = now
            }
            let current = state.byToken[token].flatMap { IdempotencyTokens.expired($0, now: now) ? nil : $0 }
            switch current {
            case nil:
                state.byToken[token] = .running(request)
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

    private static func expired(_ state: State, now: Date) -> Bool {
        if case let .done(_, _, finished) = state { return now.timeIntervalSince(finished) >= window }
        return false
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
        tokens.withLock { state in
            if case let .running(request) = state.byToken[token] { state.byToken[token] = .done(request, response, finished: now) }
        }
    }

    /// The call failed: the token may be used again.
    func abandon(token: String) {
        tokens.withLock { state in
            if case .running = state.byToken[token] { state.byToken[token] = nil }
        }
    }
}
