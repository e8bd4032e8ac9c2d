import Synchronization

/// The database's change streams as readers see them: every stream still readable (live, or
/// ended and within retention) by id, and the signal that wakes subscribers when a commit carried
/// records. Writes append records through the write funnel; the schema funnel starts and ends
/// streams; retention (``Database/trimStreams(now:)``) removes what aged out.
final class StreamService: Sendable {
    private let handles: Mutex<[String: StreamHandle]>
    /// Wakes stream subscribers (GetRecords waiters, trigger shards) on commits that carried records.
    let commitSignal: CommitSignal

    init(handles: [String: StreamHandle], commitSignal: CommitSignal) {
        self.handles = Mutex(handles)
        self.commitSignal = commitSignal
    }

    func handle(_ id: String) -> StreamHandle? { handles.withLock { $0[id] } }

    func register(_ handle: StreamHandle) { handles.withLock { $0[handle.definition.id] = handle } }

    func remove(_ id: String) { handles.withLock { _ = $0.removeValue(forKey: id) } }

    /// Every readable stream.
    var all: [StreamHandle] { handles.withLock { Array($0.values) } }
}
