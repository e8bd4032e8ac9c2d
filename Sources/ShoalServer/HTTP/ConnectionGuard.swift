import NIOCore
import NIOHTTPTypes
import Synchronization

/// How many connections one listener serves at once (`--max-connections`).
final class ConnectionLimiter: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place, or returns false when every place is taken.
    func acquire() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        if now <= limit { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func release() { open.wrappingSubtract(1, ordering: .relaxed) }

    var count: Int { open.load(ordering: .relaxed) }
}

/// A connection's deadline for the headers of its next request, shared by the two handlers that
/// keep it (one before the HTTP decoder sees bytes arrive, one after it sees a request head).
/// Used on the connection's event loop only.
final class HeaderDeadline {
    let timeout: TimeAmount
    /// Whether the client's half-close ends the connection (a Runtime API client that shuts its
    /// side down has gone; it must not keep a long poll's place).
    let closesOnInputEnd: Bool
    var timer: Scheduled<Void>?
    /// Request heads read whose responses have not ended (more than one when a client pipelines).
    var open = 0
    /// Between a response's end and the next request's head.
    var awaitingHead: Bool { open == 0 }

    init(timeout: TimeAmount, closesOnInputEnd: Bool) {
        self.timeout = timeout
        self.closesOnInputEnd = closesOnInputEnd
    }

    func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(mode: .all, promise: nil) }
    }

    func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// A request's body did not end within the body deadline. Raised into the connection's inbound
/// stream, so the handler reading the body gets it as the body's error (`RequestBody.collect`).
struct BodyDeadlineExceeded: Error {
    let timeout: Duration
}

/// The deadline for the body of the request being read. Armed only when a request's body does
/// not end in the same read as its head, so a request that arrives whole schedules nothing.
/// Used on the connection's event loop only.
final class BodyDeadline {
    let timeout: Duration
    private let amount: TimeAmount
    private var timer: Scheduled<Void>?
    /// A request head has been read and its end has not.
    private var pending = false

    init(timeout: Duration) {
        self.timeout = timeout
        amount = TimeAmount(timeout)
    }

    func headRead() { pending = true }

    func endRead() {
        pending = false
        disarm()
    }

    /// At the end of a read: a body still pending starts its deadline.
    func readComplete(_ context: ChannelHandlerContext) {
        guard pending, timer == nil else { return }
        let bound = NIOLoopBound((deadline: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: amount) { bound.value.deadline.expire(bound.value.context) }
    }

    private func expire(_ context: ChannelHandlerContext) {
        timer = nil
        guard pending else { return }
        pending = false
        context.fireErrorCaught(BodyDeadlineExceeded(timeout: timeout))
    }

    func disarm() {
        timer?.cancel()
        timer = nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let parts = duration.components
        self = .seconds(parts.seconds) + .nanoseconds(parts.attoseconds / 1_000_000_000)
    }
}

/// Per connection, after HTTP decoding: counts the connection against its listener's limit
/// (closing it at once when the listener is full), and closes it when a request's headers take
/// longer than the deadline to arrive, counted from the connection's start or from the first byte
/// of a request. A connection idle between requests, or waiting for its response (a long poll),
/// has no header deadline; Hummingbird's idle timeout covers it. A request whose body does not
/// end within the body deadline, counted from its head, fails with `BodyDeadlineExceeded`: one
/// event-loop timer per slow body, rather than a task and a sleep per request.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limiter: ConnectionLimiter
    private let deadline: HeaderDeadline
    private let bodyDeadline: BodyDeadline
    private var admitted = false
    private var counted = false

    /// - Parameter closesOnInputEnd: end the connection when the client half-closes it
    ///   (Hummingbird allows half-closed connections, which would keep a gone client's long poll).
    init(limiter: ConnectionLimiter, headerTimeout: Duration, bodyTimeout: Duration, closesOnInputEnd: Bool = false) {
        self.limiter = limiter
        deadline = HeaderDeadline(timeout: TimeAmount(headerTimeout), closesOnInputEnd: closesOnInputEnd)
        bodyDeadline = BodyDeadline(timeout: bodyTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Sees the bytes before the decoder does, to start the deadline at a request's first byte.
        try? context.pipeline.syncOperations.addHandler(RequestStartWatch(deadline), position: .first)
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !admitted else { return }
        admitted = true
        guard limiter.acquire() else {
            context.close(promise: nil)
            return
        }
        counted = true
        deadline.arm(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline.open += 1
            deadline.disarm()
            bodyDeadline.headRead()
        case .end:
            bodyDeadline.endRead()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        bodyDeadline.readComplete(context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadline.open = max(0, deadline.open - 1) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func release() {
        deadline.disarm()
        bodyDeadline.disarm()
        if counted {
            counted = false
            limiter.release()
        }
    }
}

/// First in the pipeline: starts the header deadline when a request's first byte arrives, and
/// sees the client's half-close before any HTTP handler can hold it back.
final class RequestStartWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let deadline: HeaderDeadline

    init(_ deadline: HeaderDeadline) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.awaitingHead { deadline.arm(context) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if deadline.closesOnInputEnd, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

