import Foundation

extension Database {
    /// Opens a new, empty database that lives in a temporary folder on a memory-backed filesystem
    /// (`/dev/shm` where there is one, else the system's temporary folder), written without
    /// syncing, and removed when the database closes: for tests. Everything else (streams,
    /// triggers, transactions, indexes) works as in a directory on disk.
    /// - Returns: the database; its `path` is `<folder>/db`, and the folder holds nothing else
    ///   Shoal does not put there.
    public static func open(inMemory options: DatabaseOptions = DatabaseOptions()) throws -> Database {
        let folder = try makeTemporaryFolder()
        var options = options
        options.durability = .noSync
        options.readOnly = false
        do {
            let database = try Database.open(at: folder + "/db", options: options)
            database.temporaryFolder.withLock { $0 = folder }
            return database
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// Whether ``close()`` removes the database's folder (it was opened ``open(inMemory:)``).
    public var isInMemory: Bool { temporaryFolder.withLock { $0 != nil } }

    /// The name every in-memory database's folder starts with.
    static let inMemoryPrefix = "shoal-memory-"

    /// Where in-memory databases go: a memory-backed filesystem where one is writable.
    static var memoryBackedRoot: String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
           FileManager.default.isWritableFile(atPath: "/dev/shm") {
            return "/dev/shm"
        }
        return NSTemporaryDirectory()
    }

    /// A new folder (owner-only) for an in-memory database. Folders that processes killed without
    /// closing left behind (older than a minute, their directory lock free) are removed first, so
    /// memory is not lost to them for good.
    static func makeTemporaryFolder() throws(ShoalError) -> String {
        removeAbandonedFolders()
        let folder = (memoryBackedRoot as NSString).appendingPathComponent(inMemoryPrefix + UUID().uuidString.lowercased())
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .internalError("Cannot create a folder for an in-memory database in \(memoryBackedRoot): \(error)")
        }
        return folder
    }

    static func removeAbandonedFolders(olderThan age: TimeInterval = 60) {
        let manager = FileManager.default
        let root = memoryBackedRoot
        for name in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix(inMemoryPrefix) {
            let folder = (root as NSString).appendingPathComponent(name)
            guard let attributes = try? manager.attributesOfItem(atPath: folder), attributes[.type] as? FileAttributeType == .typeDirectory,
                  let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) > age,
                  manager.fileExists(atPath: folder + "/db/LOCK") else { continue }
            // Free only when no process holds the database open (the kernel released a killed one's lock).
            guard let lock = try? DirectoryLock(directory: folder + "/db") else { continue }
            lock.release()
            try? manager.removeItem(atPath: folder)
        }
    }

    /// Hands the folder's removal over (an online reshard closes this database and opens the
    /// directory again): this database's `close()` keeps it. - Returns: the folder, if it had one.
    func handOverTemporaryFolder() -> String? {
        temporaryFolder.withLock { folder in defer { folder = nil }; return folder }
    }

    /// Takes the removal of an in-memory database's folder over from the database it replaced.
    func adoptTemporaryFolder(_ folder: String?) {
        guard let folder else { return }
        temporaryFolder.withLock { $0 = folder }
    }
}
