import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Shoal
import Synchronization

/// The server's export and import jobs (ExportTableToPointInTime, ImportTable): each a record in
/// `DIR/transfer-jobs/` (written before the job starts and after each change of state) and a task
/// this type owns. A job still IN_PROGRESS when the process stopped, however it stopped, runs
/// again from its start when the server opens the directory again (an export rewrites its folder;
/// an import loads into the table it created, writing an item twice changing nothing). A failed
/// job is FAILED with its reason in the record and the log; ``shutdown()`` cancels and awaits the
/// running ones (they stay IN_PROGRESS, to run again).
public final class TransferJobs: Sendable {
    private struct State {
        var exports: [String: ExportJob] = [:]
        var imports: [String: ImportJob] = [:]
        var tasks: [String: Task<Void, Never>] = [:]
        var s3Root: String?
        var closing = false
    }

    let directory: String
    let lifecycle: DatabaseLifecycle
    let logger: Logger
    private let state = Mutex(State())

    /// Loads the jobs recorded in `directory` (none run until ``resume()``).
    public init(directory: String, lifecycle: DatabaseLifecycle, logger: Logger = Logger(label: "shoal.transfer")) {
        self.directory = directory
        self.lifecycle = lifecycle
        self.logger = logger
        var loaded = State()
        let decoder = JSONDecoder()
        for (folder, isExport) in [("exports", true), ("imports", false)] {
            let path = directory + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasSuffix(".json") {
                guard let data = FileManager.default.contents(atPath: path + "/" + name) else { continue }
                if isExport, let job = try? decoder.decode(ExportJob.self, from: data) { loaded.exports[job.arn] = job }
                if !isExport, let job = try? decoder.decode(ImportJob.self, from: data) { loaded.imports[job.arn] = job }
            }
        }
        state.withLock { $0 = loaded }
    }

    /// Where S3 locations live (`s3://bucket/prefix` is `root/bucket/prefix`); nil refuses jobs.
    public var s3Root: String? {
        get { state.withLock { $0.s3Root } }
        set { state.withLock { $0.s3Root = newValue } }
    }

    /// Starts every job a previous run left IN_PROGRESS. An import that stopped between creating
    /// its table and recording it finds the table by its ARN; a table an import was filling whose
    /// job is not running any more is deleted (never left CREATING).
    public func resume() async {
        let (exports, imports) = state.withLock { state in
            (state.exports.values.filter { $0.status == .inProgress }, state.imports.values.filter { $0.status == .inProgress })
        }
        let importing = (try? await withDatabase { database in database.tablesBeingImported().map { [$0.name, $0.id, $0.importArn] } }) ?? []
        let running = Set(imports.map(\.arn))
        for table in importing where !running.contains(table[2]) {
            logger.warning("deleting table \(table[0]): the import \(table[2]) that was filling it is not running")
            try? await withDatabase { database in try await database.abandonImport(tableName: table[0], tableID: table[1]) }
        }
        for job in exports { start(job) }
        for var job in imports {
            if job.tableID == nil, let table = importing.first(where: { $0[2] == job.arn }) {
                job.tableID = table[1]
                try? save(job)
            }
            start(job)
        }
    }

    /// Cancels the running jobs and waits for them (they run again on the next start).
    public func shutdown() async {
        let tasks = state.withLock { state in
            state.closing = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// How many jobs run now.
    public var running: Int { state.withLock { $0.tasks.count } }

    // MARK: Records

    var exports: [ExportJob] { state.withLock { Array($0.exports.values) } }
    var imports: [ImportJob] { state.withLock { Array($0.imports.values) } }
    func export(_ arn: String) -> ExportJob? { state.withLock { $0.exports[arn] } }
    func importJob(_ arn: String) -> ImportJob? { state.withLock { $0.imports[arn] } }

    /// Stores a job's record: its file first (atomically), then in memory.
    func save(_ job: ExportJob) throws {
        try write(JSONEncoder().encode(job), to: "exports", id: job.id)
        state.withLock { $0.exports[job.arn] = job }
    }

    func save(_ job: ImportJob) throws {
        try write(JSONEncoder().encode(job), to: "imports", id: job.id)
        state.withLock { $0.imports[job.arn] = job }
    }

    private func write(_ data: Data, to folder: String, id: String) throws {
        let path = directory + "/" + folder
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let temporary = path + "/" + id + ".json.tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: temporary))
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces the record in one step, whether or not it existed.
        guard rename(temporary, path + "/" + id + ".json") == 0 else {
            throw TransferFailure(code: "InternalError", message: "cannot replace \(path)/\(id).json (errno \(errno))")
        }
    }

    /// The file import errors are written to (DynamoDB's CloudWatch log group, here).
    func errorLogPath(_ job: ImportJob) -> String { directory + "/imports/" + job.id + ".errors.log" }

    // MARK: Running

    func start(_ job: ExportJob) {
        run(job.arn) { [self] in await ExportRunner(jobs: self, job: job).run() }
    }

    func start(_ job: ImportJob) {
        run(job.arn) { [self] in await ImportRunner(jobs: self, job: job).run() }
    }

    private func run(_ arn: String, _ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard !state.closing, state.tasks[arn] == nil else { return }
            state.tasks[arn] = Task.detached { [self] in
                await work()
                _ = self.state.withLock { $0.tasks.removeValue(forKey: arn) }
            }
        }
    }

    /// Runs `body` with the database under a lease (an online reshard waits for it).
    func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        let database = try await lifecycle.lease()
        defer { lifecycle.release() }
        return try await body(database)
    }
}

/// Runs blocking work (a long read, file writing) on a thread of its own, off the cooperative pool.
enum BlockingWork {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

extension TransferJobs {
    /// Runs a full export of `tableName` as of `exportTime` (now when nil) to `s3://bucket/prefix`
    /// and waits for it, as ExportTableToPointInTime's job does (recorded the same way).
    /// - Returns: the finished job's ARN, status and item count.
    public func export(tableName: String, bucket: String, prefix: String? = nil, format: String = "DYNAMODB_JSON",
                       exportTime: Date? = nil) async throws -> (arn: String, status: String, items: Int) {
        let table = try await withDatabase { try $0.describeTable(tableName).table }
        let now = Date()
        var job = ExportJob(id: ExportWriter.newID(), arn: "", status: .inProgress, tableName: tableName, tableArn: table.tableArn,
                            tableID: table.tableId, s3Bucket: bucket, s3Prefix: prefix, format: format, type: "FULL_EXPORT",
                            exportTime: (exportTime ?? now).timeIntervalSince1970, startTime: now.timeIntervalSince1970)
        job.arn = table.tableArn + "/export/" + job.id
        try save(job)
        await ExportRunner(jobs: self, job: job).run()
        let finished = export(job.arn) ?? job
        return (job.arn, finished.status.rawValue, finished.itemCount ?? 0)
    }
}

extension TransferJobs {
    /// Creates `table` and loads the objects under `s3://bucket/prefix` into it, as ImportTable's
    /// job does, and waits for it. `format`: `DYNAMODB_JSON` or `CSV`.
    /// - Returns: the finished job's ARN, status, items imported and errors.
    public func importTable(_ table: CreateTableRequest, bucket: String, prefix: String?, format: String = "DYNAMODB_JSON",
                            compression: String = "GZIP") async throws -> (arn: String, status: String, imported: Int, errors: Int) {
        let now = Date()
        let id = ExportWriter.newID()
        let region = try await withDatabase { $0.options.region }
        let tableArn = "arn:aws:dynamodb:\(region):\(Principal.serverAccount):table/\(table.tableName)"
        var job = ImportJob(id: id, arn: tableArn + "/import/" + id, status: .inProgress, tableName: table.tableName, tableArn: tableArn,
                            s3Bucket: bucket, s3KeyPrefix: prefix, format: format, compression: compression,
                            tableCreationParameters: String(decoding: JSONWriter.encode(.object([("TableName", .string(table.tableName))])), as: UTF8.self),
                            startTime: now.timeIntervalSince1970)
        try save(job)
        let arn = job.arn
        job.tableID = try await withDatabase { try await $0.createTableForImport(table, importArn: arn).tableId }
        try save(job)
        await ImportRunner(jobs: self, job: job).run()
        let finished = importJob(job.arn) ?? job
        return (job.arn, finished.status.rawValue, finished.importedItemCount, finished.errorCount)
    }
}
