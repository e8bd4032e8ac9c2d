/// Who makes a write. The write funnel (``WriteContext/writeItem(_:tableID:key:old:new:origin:)``)
/// decides from it what goes with the change: a stream record or none, and whose.
enum WriteOrigin: Sendable, Equatable {
    /// A client's request (PutItem, UpdateItem, DeleteItem, a batch's or a transaction's action; a
    /// restore, import or bulk load writes through the same requests): an ordinary stream record.
    case client
    /// A transaction's part redone from its commit record (after a crash, or a shard that failed
    /// past the commit point): the change never reached the stream, so it is recorded now, as the
    /// client's.
    case transactionRedo
    /// Time to live's deletion of an expired item: the stream record names the service
    /// (`userIdentity` `dynamodb.amazonaws.com`), as DynamoDB's does.
    case timeToLive
    /// A reshard moving an item between shards: the item does not change, so no stream record.
    case reshardCopy

    /// Whether the change is appended to the table's stream (when it has one).
    var recordsStream: Bool { self != .reshardCopy }

    /// Whether the change goes into the point-in-time recovery log (when the table keeps one): a
    /// move between shards is no change of the table.
    var recordsRecovery: Bool { self != .reshardCopy }

    /// Whether the stream record says the service made the change (time to live's deletions).
    var byService: Bool { self == .timeToLive }
}

extension TableStorage {
    /// Whether a write from `origin` must read the item it replaces (to keep indexes, expiry
    /// order or the stream right); when not, it can take the fast paths.
    func needsOldImage(for origin: WriteOrigin) -> Bool {
        !indexes.isEmpty || ttlAttribute != nil || (stream != nil && origin.recordsStream)
    }
}
