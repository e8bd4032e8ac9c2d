import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by LMDB: its return code and LMDB's own message.
///
/// `MDB_NOTFOUND` is never thrown; lookups that find nothing return `nil`.
/// Match specific codes with the static constants: `catch LMDBError.mapFull { … }`.
public struct LMDBError: Error, Equatable, Hashable, CustomStringConvertible, Sendable {
    public let code: Int32
    /// Extra context added by the wrapper (for example the path or the operation).
    public let context: String

    public init(code: Int32, context: String = "") {
        self.code = code
        self.context = context
    }

    /// LMDB's description of the code (`mdb_strerror`, which also covers errno values).
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String {
        context.isEmpty ? "LMDB error \(code): \(message)" : "LMDB error \(code): \(message) (\(context))"
    }

    public static func == (lhs: LMDBError, rhs: LMDBError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public static let keyExists = LMDBError(code: MDB_KEYEXIST)
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    public static let databasesFull = LMDBError(code: MDB_DBS_FULL)
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    public static let corrupted = LMDBError(code: MDB_CORRUPTED)
    public static let invalid = LMDBError(code: MDB_INVALID)
    /// The environment was closed (``Environment/close()``).
    public static let closed = LMDBError(code: EBADF, context: "the environment is closed")

    /// Lets callers write `catch LMDBError.mapFull`.
    public static func ~= (pattern: LMDBError, error: any Error) -> Bool {
        guard let error = error as? LMDBError else { return false }
        return error.code == pattern.code
    }
}

@inline(__always)
func check(_ rc: Int32, _ context: @autoclosure () -> String = "") throws {
    if rc != 0 { throw LMDBError(code: rc, context: context()) }
}
