import Foundation
import Synchronization

/// `ClientRequestToken`s of TransactWriteItems calls of the last 10 minutes: the same token with
/// the same request returns the first call's result without writing again; with another request
/// it is `IdempotentParameterMismatchException`. Kept in memory (a restart forgets them).
///
/// What a client can make the server hold is bounded: a token keeps a keyed hash of its request
/// (Swift's `Hasher`, seeded at random per process, so a collision cannot be computed offline),
/// never the request, plus the response, under at most 100,000 tokens and 64 MB of them; past either cap the oldest finished tokens are forgotten first (a retry of one
/// then runs again, as it would after a restart).
final class IdempotencyTokens: Sendable {
    static let window: TimeInterval = 600
    let maxTokens: Int
    let maxBytes: Int

    init(maxTokens: Int = 100_000, maxBytes: Int = 64 << 20) {
        self.maxTokens = maxTokens
        self.maxBytes = maxBytes
    }

    private enum State {
        case running(request: Int)
        case done(request: Int, TransactWriteItemsResponse, finished: Date, bytes: Int)
    }

    private struct Tokens {
        var byToken: [String: State] = [:]
        /// Finished tokens, oldest first (an entry whose token was since reused or dropped is skipped).
        var order: [(token: String, finished: Date)] = []
        var orderStart = 0
        var bytes = 0
        /// When expired tokens were last dropped (at most once a second, not on every call).
        var purged = Date.distantPast

        /// Drops finished tokens from the oldest while `drop` says so.
        mutating func dropOldest(while drop: (Tokens, Date) -> Bool) {
            while orderStart < order.count, drop(self, order[orderStart].finished) {
                let (token, finished) = order[orderStart]
                orderStart += 1
                if case let .done(_, _, at, size)? = byToken[token], at == finished {
                    byToken[token] = nil
                    bytes -= size
                }
            }
            if orderStart > 1024 && orderStart * 2 > order.count {
                order.removeFirst(orderStart)
                orderStart = 0
            }
        }
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

    /// The number of tokens held and their bytes (for tests).
    var usage: (tokens: Int, bytes: Int) { tokens.withLock { ($0.byToken.count, $0.bytes) } }

    /// Claims `token` for `request`. - Returns: the earlier call's response to return again, or nil to run it.
    func begin(token: String, request: TransactWriteItemsRequest, now: Date = Date()) throws(ShoalError) -> TransactWriteItemsResponse? {
        let hash = request.hashValue
        let result: Result<TransactWriteItemsResponse?, ShoalError> = tokens.withLock { state in
            if now.timeIntervalSince(state.purged) >= 1 {
                state.dropOldest { _, finished in now.timeIntervalSince(finished) >= IdempotencyTokens.window }
                state.purged = now
            }
            switch state.byToken[token] {
            case nil:
                state.byToken[token] = .running(request: hash)
                return .success(nil)
            case let .running(earlier)?:
                guard earlier == hash else { return .failure(IdempotencyTokens.mismatch) }
                return .failure(ShoalError(.transactionInProgress, "The transaction with the given request token is already in progress."))
            case let .done(earlier, response, finished, _)?:
                if now.timeIntervalSince(finished) >= IdempotencyTokens.window {
                    state.byToken[token] = .running(request: hash)
                    return .success(nil)
                }
                guard earlier == hash else { return .failure(IdempotencyTokens.mismatch) }
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

    /// An estimate of what a finished token holds: the token, its slot, and the response.
    private static func size(token: String, _ response: TransactWriteItemsResponse) -> Int {
        var bytes = 96 + token.utf8.count
        for table in response.consumedCapacity { bytes += 96 + table.tableName.utf8.count }
        for (table, metrics) in response.itemCollectionMetrics {
            bytes += 64 + table.utf8.count
            for metric in metrics { bytes += 64 + String(describing: metric).utf8.count }
        }
        return bytes
    }

    func finish(token: String, response: TransactWriteItemsResponse, now: Date = Date()) {
        let (maxTokens, maxBytes) = (self.maxTokens, self.maxBytes)
        let size = IdempotencyTokens.size(token: token, response)
        tokens.withLock { state in
            guard case let .running(request) = state.byToken[token] else { return }
            state.byToken[token] = .done(request: request, response, finished: now, bytes: size)
            state.bytes += size
            state.order.append((token, now))
            state.dropOldest { state, _ in state.byToken.count > maxTokens || state.bytes > maxBytes }
        }
    }

    /// The call failed: the token may be used again.
    func abandon(token: String) {
        tokens.withLock { state in
            if case .running = state.byToken[token] { state.byToken[token] = nil }
        }
    }
}
