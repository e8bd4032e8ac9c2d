import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read transactions kept after `mdb_txn_reset` for `mdb_txn_renew`.
///
/// Beginning a read transaction allocates and zeroes a structure sized by the environment's
/// maximum number of databases and claims a reader slot; renewing a reset one does neither.
/// With `MDB_NOTLS` a reset transaction may be renewed on any thread.
final class ReaderPool: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var idle: [OpaquePointer] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    /// Frees every idle transaction (before the environment closes).
    func drain() {
        pthread_mutex_lock(mutex)
        let all = idle
        idle.removeAll()
        pthread_mutex_unlock(mutex)
        for txn in all { mdb_txn_abort(txn) }
    }

    deinit {
        for txn in idle { mdb_txn_abort(txn) }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A reset transaction to renew, if one is idle.
    func take() -> OpaquePointer? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return idle.popLast()
    }

    /// Keeps a reset transaction for later, or frees it when the pool is full.
    func give(_ txn: OpaquePointer) {
        pthread_mutex_lock(mutex)
        if idle.count < capacity {
            idle.append(txn)
            pthread_mutex_unlock(mutex)
        } else {
            pthread_mutex_unlock(mutex)
            mdb_txn_abort(txn)
        }
    }
}
