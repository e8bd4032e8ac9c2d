import Hummingbird
import NIOCore

/// Reading a request's body with a size limit. The deadline for a body that arrives slowly, or
/// never, is kept per connection (`ConnectionGuard`), which raises `BodyDeadlineExceeded` into
/// the body being read here.
enum RequestBody {
    static func collect(_ request: Request, limit: Int) async throws(ProtocolError) -> [UInt8] {
        do {
            return Array(try await request.body.collect(upTo: limit).readableBytesView)
        } catch let deadline as BodyDeadlineExceeded {
            throw .bodyTimedOut(deadline.timeout)
        } catch is NIOTooManyBytesError {
            throw .requestTooLarge
        } catch {
            throw .unreadableBody("\(error)")
        }
    }
}
