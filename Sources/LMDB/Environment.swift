import CLMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open an ``Environment``.
public struct EnvironmentOptions: Sendable {
    /// Initial size of the memory map in bytes. The file is sparse, so a large value costs nothing up front.
    public var mapSize: Int = 1 << 30
    /// The map never grows past this; a write that needs more fails with ``LMDBError/mapFull``.
    public var maxMapSize: Int = 1 << 40
    public var maxDatabases: UInt32 = 1024
    public var maxReaders: UInt32 = 1024
    /// `MDB_NOSYNC`: commits are not flushed; a crash may lose the last transactions (never corrupts).
    public var noSync: Bool = false
    /// `MDB_NORDAHEAD`: better for random reads of a map larger than memory.
    public var noReadAhead: Bool = false
    /// Create the directory when it does not exist.
    public var createDirectory: Bool = true
    /// `MDB_RDONLY`: open an existing environment for reading only (write transactions fail).
    public var readOnly: Bool = false
    /// Keep an undo journal of every write (see ``UndoJournal``), its next sequence number at
    /// least this; nil keeps none. Ignored when `readOnly`.
    public var undoJournal: UInt64?

    public init() {}
}

/// Counters of a B-tree (an environment's main tree or a named database).
public struct DatabaseStatistics: Sendable, Equatable {
    public var pageSize: Int
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    public var entries: Int

    init(_ s: MDB_stat) {
        pageSize = Int(s.ms_psize)
        depth = Int(s.ms_depth)
        branchPages = Int(s.ms_branch_pages)
        leafPages = Int(s.ms_leaf_pages)
        overflowPages = Int(s.ms_overflow_pages)
        entries = Int(s.ms_entries)
    }
}

/// What `mdb_env_info` reports.
public struct EnvironmentInfo: Sendable, Equatable {
    public var mapSize: Int
    public var lastPageNumber: Int
    public var lastTransactionID: Int
    public var maxReaders: Int
    public var readersInUse: Int
}

/// An LMDB environment: one memory-mapped file with its lock file, holding named databases.
///
/// Open it once per directory and share it: the handle is thread-safe, and it is opened with
/// `MDB_NOTLS` so read transactions may be used from any thread (Swift tasks hop threads).
/// Write transactions run on the caller's thread from begin to commit, inside ``write(_:)``.
///
/// ```swift
/// let env = try Environment(path: "/tmp/db")
/// let db = try env.write { try $0.openDatabase(named: "items", create: true) }
/// try env.write { try $0.put(db, key: [1], value: [42]) }
/// let value = try env.read { try $0.get(db, key: [1]) }
/// ```
public final class Environment: @unchecked Sendable {
    // @unchecked: `handle` is immutable and LMDB's environment is thread-safe; the map size is only
    // changed, and the handle closed, under `mapLock` held exclusively, when no transaction of
    // this process is open; `isClosed` is written only then and read under the lock.
    let handle: OpaquePointer
    let mapLock = ReadWriteLock()
    private var isClosed = false
    let readers: ReaderPool
    public let path: String
    public let options: EnvironmentOptions
    /// The undo journal, set once in init (writes journal only when it is set).
    private(set) var journal: UndoJournal?
    /// The names of the named databases opened, by handle (the journal records names).
    let databaseNames = Mutex<[UInt32: String]>([:])

    /// Opens (or creates) the environment in the directory `path`.
    /// - Throws: ``LMDBError`` when LMDB cannot open it; the handle is released in that case.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws {
        if options.createDirectory && !options.readOnly {
            try Environment.makeDirectory(path)
        }
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: EINVAL, context: "mdb_env_create returned no handle") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "set max databases")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "set max readers")
            try check(mdb_env_set_mapsize(env, options.mapSize), "set map size")
            var flags = UInt32(MDB_NOTLS)
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            if options.noReadAhead { flags |= UInt32(MDB_NORDAHEAD) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, 0o644), "open \(path)")
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
        readers = ReaderPool(capacity: Int(options.maxReaders) / 2)
        self.path = path
        self.options = options
        if let next = options.undoJournal, !options.readOnly {
            do {
                journal = try openJournal(nextAtLeast: next)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    /// Closes the environment once the transactions in flight have ended; later transactions
    /// throw ``LMDBError/closed``. Closing explicitly matters: LMDB allows one handle per
    /// environment in a process, and closing a handle releases the reader slots of every handle
    /// of the process on those files, so a handle left to a late `deinit` would break the readers
    /// of one opened again meanwhile.
    public func close() {
        mapLock.withExclusive {
            guard !isClosed else { return }
            isClosed = true
            // Pooled read transactions must go before the environment they belong to.
            readers.drain()
            mdb_env_close(handle)
        }
    }

    /// Throws when closed (call with `mapLock` held).
    private func checkOpen() throws {
        if isClosed { throw LMDBError.closed }
    }

    private static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw LMDBError(code: errno, context: "mkdir \(prefix)")
            }
            prefix += "/"
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot. Readers never block writers.
    /// Bytes borrowed inside must not escape the closure.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        while true {
            do {
                return try mapLock.withShared {
                    try checkOpen()
                    let txn = try Transaction(environment: self, readOnly: true)
                    do {
                        let result = try body(txn)
                        // Committing (not aborting) a read keeps databases it opened usable afterwards.
                        try txn.commit()
                        return result
                    } catch {
                        txn.abort()
                        throw error
                    }
                }
            } catch LMDBError.mapResized {
                try adoptMapSize()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it; aborts if `body` throws.
    ///
    /// When the map is full the transaction is aborted, the map grows, and `body` runs again
    /// from scratch, so `body` must compute its writes from the transaction alone (it may run
    /// more than once). Must be called on the thread that will finish it and never nested.
    /// - Throws: the error of `body`, or ``LMDBError`` (``LMDBError/mapFull`` once `maxMapSize` is reached).
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        while true {
            do {
                return try mapLock.withShared {
                    try checkOpen()
                    let txn = try Transaction(environment: self, readOnly: false)
                    do {
                        let result = try body(txn)
                        try txn.commit()
                        return result
                    } catch {
                        txn.abort()
                        throw error
                    }
                }
            } catch LMDBError.mapFull {
                try growMap()
            } catch LMDBError.mapResized {
                try adoptMapSize()
            }
        }
    }

    /// Doubles the map (at most by 4 GiB at a time, never past `maxMapSize`).
    public func growMap() throws {
        try mapLock.withExclusive {
            try checkOpen()
            var i = MDB_envinfo()
            mdb_env_info(handle, &i)
            let current = Int(i.me_mapsize)
            guard current < options.maxMapSize else {
                throw LMDBError(code: MDB_MAP_FULL, context: "map size limit of \(options.maxMapSize) bytes reached at \(path)")
            }
            let next = min(options.maxMapSize, current + min(current, 4 << 30))
            try check(mdb_env_set_mapsize(handle, next), "grow map to \(next)")
        }
    }

    /// Another process grew the map: adopt its size.
    private func adoptMapSize() throws {
        try mapLock.withExclusive {
            try checkOpen()
            try check(mdb_env_set_mapsize(handle, 0), "adopt map size")
        }
    }

    // MARK: Maintenance

    /// Statistics of the main tree (zeros once closed).
    public func statistics() -> DatabaseStatistics {
        var s = MDB_stat()
        mapLock.withShared { if !isClosed { mdb_env_stat(handle, &s) } }
        return DatabaseStatistics(s)
    }

    /// The map and reader figures (zeros once closed).
    public func info() -> EnvironmentInfo {
        var i = MDB_envinfo()
        mapLock.withShared { if !isClosed { mdb_env_info(handle, &i) } }
        return EnvironmentInfo(
            mapSize: Int(i.me_mapsize), lastPageNumber: Int(i.me_last_pgno),
            lastTransactionID: Int(i.me_last_txnid), maxReaders: Int(i.me_maxreaders),
            readersInUse: Int(i.me_numreaders))
    }

    /// Flushes buffers to disk (needed only with `noSync`).
    public func sync(force: Bool = true) throws {
        try mapLock.withShared {
            try checkOpen()
            try check(mdb_env_sync(handle, force ? 1 : 0), "sync")
        }
    }

    /// Copies the environment into the existing empty directory `path`, optionally compacting.
    public func copy(to path: String, compact: Bool = true) throws {
        try Environment.makeDirectory(path)
        try mapLock.withShared {
            try checkOpen()
            try check(mdb_env_copy2(handle, path, compact ? UInt32(MDB_CP_COMPACT) : 0), "copy to \(path)")
        }
    }

    /// Writes a copy of the environment's data file to the open descriptor `fd` (a file or a
    /// pipe), optionally compacting. The copy is taken from one read transaction, which begins
    /// before the first byte is written.
    public func copy(toDescriptor fd: Int32, compact: Bool = true) throws {
        try mapLock.withShared {
            try checkOpen()
            try check(mdb_env_copyfd2(handle, fd, compact ? UInt32(MDB_CP_COMPACT) : 0), "copy")
        }
    }

    /// The largest key LMDB accepts in this build (511 for Debian's liblmdb).
    public var maxKeySize: Int { mapLock.withShared { isClosed ? 0 : Int(mdb_env_get_maxkeysize(handle)) } }
}
