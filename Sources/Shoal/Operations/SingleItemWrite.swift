/// Where a single-item write goes: its table, item and shard (PutItem's, UpdateItem's and
/// DeleteItem's prepared writes).
protocol SingleItemTarget: Sendable {
    var tableID: String { get }
    var key: ItemKey { get }
    var encodedKey: [UInt8] { get }
    /// The partition token, which picks the shard.
    var token: UInt64 { get }
}

extension PreparedPut: SingleItemTarget {}
extension PreparedDelete: SingleItemTarget {}
extension PreparedUpdate: SingleItemTarget {}

extension Database {
    /// The tail PutItem, UpdateItem and DeleteItem share: the item may not be one a transaction is
    /// committing; `apply` runs on the item's shard writer; the item collection's size is measured
    /// when asked (tables with local secondary indexes).
    func writeSingleItem(_ target: any SingleItemTarget, of handle: TableHandle, collectionMetrics: ReturnItemCollectionMetrics,
                         _ apply: @escaping @Sendable (WriteContext) throws -> WriteOutcome) async throws(ShoalError)
        -> (outcome: WriteOutcome, metrics: ItemCollectionMetrics?) {
        try transactions.itemLocks.checkFree(tableID: target.tableID, key: target.encodedKey)
        let draws = try admitCapacity(handle, write: true)
        let shard = shards[ring.shard(for: target.token)]
        let outcome: WriteOutcome
        do throws(ShoalError) {
            outcome = try await run { try await shard.writer.perform(apply) }
        } catch {
            // A write whose condition failed still pays a unit, as in DynamoDB.
            if error.kind == .conditionalCheckFailed { chargeCapacity(draws, handle, write: true, ConsumedCapacity(table: 1)) }
            throw error
        }
        chargeCapacity(draws, handle, write: true, outcome.capacity)
        let metrics = collectionMetrics == .size ? try itemCollectionMetrics(handle, partition: target.key.partition) : nil
        return (outcome, metrics)
    }
}
