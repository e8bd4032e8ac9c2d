/// Everything the database keeps for transactions: the commit gate readers pass, the locks on
/// the items of transactions being committed, the idempotency tokens of TransactWriteItems, and
/// the batcher of transactions that span shards. One place, so a change to how transactions
/// commit starts here (``Database/transactWriteItems(_:)``, ``CrossShardBatch``,
/// ``TransactionLog`` for recovery).
final class TransactionCoordinator: Sendable {
    /// Closed while a transaction spanning shards becomes visible (see ``CommitGate``).
    let gate = CommitGate()
    /// The items of transactions being committed.
    let itemLocks = ItemLocks()
    let idempotencyTokens = IdempotencyTokens()
    /// Batches the transactions that span shards.
    let batcher = CrossShardBatcher()
}
