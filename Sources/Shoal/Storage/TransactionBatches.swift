import LMDB

extension Transaction {
    /// Up to `limit` entries of `db` in key order after `key` (nil: from the first): the batch
    /// every long walk over a database reads at a time.
    func entries(_ db: LMDB.Database, after key: [UInt8]?, limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        try withCursor(db) { cursor in
            var result: [(key: [UInt8], value: [UInt8])] = []
            var more = try key.map { try cursor.seek(atOrAfter: $0) } ?? cursor.first()
            if more, let key, cursor.key.compare(key) == 0 { more = try cursor.next() }
            while more && result.count < limit {
                result.append((cursor.key.array, cursor.value.array))
                more = try cursor.next()
            }
            return result
        }
    }
}
