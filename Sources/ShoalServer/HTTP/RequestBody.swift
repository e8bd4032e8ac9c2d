import Hummingbird
import NIOCore

/// Reading a request's body with a size limit and a deadline, so a client that sends its body
/// slowly, or never, holds neither memory past the limit nor a request past the deadline.
enum RequestBody {
    static func collect(_ request: Request, limit: Int, timeout: Duration) async throws(ProtocolError) -> [UInt8] {
        do {
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { Array(try await request.body.collect(upTo: limit).readableBytesView) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let bytes = first else { throw ProtocolError.bodyTimedOut(timeout) }
                return bytes
            }
        } catch let error as ProtocolError {
            throw error
        } catch is NIOTooManyBytesError {
            throw .requestTooLarge
        } catch {
            throw .unreadableBody("\(error)")
        }
    }
}
