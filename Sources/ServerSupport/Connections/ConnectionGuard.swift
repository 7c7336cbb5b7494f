import NIOCore
import NIOHTTP1
import WireFormats

/// The first handler of every connection, before the HTTP decoder (raw bytes): refuses a
/// connection past the cap (503), closes a connection whose request does not arrive in
/// time (408) or that stays idle between requests, and answers malformed HTTP with its
/// status and a JSON error. It learns how the HTTP exchange progresses from the
/// ``HTTPProgressObserver`` placed after the decoder; once the connection is upgraded to a
/// WebSocket, it leaves the pipeline and keeps only its place under the cap.
///
/// Its answers are raw bytes written at the head of the pipeline, so they do not depend on
/// the state of the HTTP handlers behind it. After one it half-closes, drops what the
/// client still sends, and closes when the client does or after ``lingerTime``: closing
/// with unread input would make the kernel reset the connection, and the client would
/// never read the answer.
public final class ConnectionGuard: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = IOData
    public typealias OutboundOut = IOData

    /// How the HTTP exchange progresses; sent to the guard as outbound user events.
    public enum Progress: Sendable {
        case requestStarted
        case requestEnded
        case responseStarted
        case responseEnded
        /// A WebSocket now, with its own liveness checks: no more timeouts.
        case upgraded
        /// The HTTP decoder failed: answered with the error's status, then closed.
        case malformed(HTTPParserError)
    }

    /// Fired inbound when the guard cuts off a request whose head or body did not arrive in
    /// time, so that a handler still reading the body records a 408, not a broken stream.
    public struct RequestTimedOut: Error, CustomStringConvertible {
        public var description: String { "the request did not arrive within the request timeout" }
    }

    /// How long a connection the guard has answered stays open for the client to read it.
    static let lingerTime = TimeAmount.seconds(2)

    private enum Mode {
        case opening
        case http
        case upgraded
        /// Answered or timed out: input is dropped, output is done.
        case closing
    }

    private enum Timeout {
        case request
        case idle
    }

    private let connections: ServerConnections
    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var mode = Mode.opening
    private var slot: ServerConnections.Slot?
    /// When the request being received started (for the first, when the connection opened).
    private var requestStart: NIODeadline?
    /// When the connection last had nothing in progress.
    private var idleSince = NIODeadline.uptimeNanoseconds(0)
    private var requestsEnded = 0
    private var responsesEnded = 0
    private var responseInProgress = false
    private var timer: (task: Scheduled<Void>, due: NIODeadline)?
    /// Closes asked for by the handlers behind while the guard lingers, completed on close.
    private var deferredClose: EventLoopPromise<Void>?

    init(connections: ServerConnections) {
        self.connections = connections
        self.requestTimeout = TimeAmount(connections.limits.requestTimeout)
        self.idleTimeout = TimeAmount(connections.limits.idleTimeout)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            opened(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        closed()
    }

    public func channelActive(context: ChannelHandlerContext) {
        opened(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch mode {
        case .closing:
            return  // answered: nothing more is read
        case .http where requestStart == nil:
            requestStart = context.eventLoop.now
            rearm(context: context)
        case .opening, .http, .upgraded:
            break
        }
        context.fireChannelRead(data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if mode == .closing {
            context.read()  // keep draining: the handlers behind may have stopped asking
        } else {
            context.fireChannelReadComplete()
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard mode != .closing else {
            promise?.fail(ChannelError.outputClosed)  // the guard's answer was the last word
            return
        }
        context.write(data, promise: promise)
    }

    public func close(context: ChannelHandlerContext, mode closeMode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .closing, closeMode == .all, context.channel.isActive else {
            context.close(mode: closeMode, promise: promise)
            return
        }
        // The client is still reading the answer: close when it does, or when lingering ends.
        if let promise {
            if let deferredClose {
                deferredClose.futureResult.cascade(to: promise)
            } else {
                deferredClose = promise
            }
        }
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? Progress else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        guard mode == .http else { return }
        let now = context.eventLoop.now
        switch progress {
        case .requestStarted:
            if requestStart == nil { requestStart = now }
        case .requestEnded:
            requestsEnded += 1
            requestStart = nil
            idleSince = now
        case .responseStarted:
            responseInProgress = true
        case .responseEnded:
            responseInProgress = false
            responsesEnded += 1
            idleSince = now
        case .upgraded:
            // A WebSocket has its own liveness checks: the guard steps out of the way of its
            // frames (fan-out writes would pass through it otherwise), and its slot is given
            // back when the connection closes.
            mode = .upgraded
            cancelTimer()
            if let slot {
                self.slot = nil
                let connections = self.connections
                context.channel.closeFuture.whenComplete { _ in connections.release(slot) }
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        case .malformed(let error):
            malformed(error, context: context)
            return
        }
        rearm(context: context)
    }

    // MARK: - Opening and closing

    private func opened(context: ChannelHandlerContext) {
        guard mode == .opening else { return }
        guard connections.tryTake(.connection) else {
            connections.metrics.refused.increment()
            connections.logger.debug(
                "connection refused: at the connection cap",
                metadata: ["maxConnections": "\(connections.limits.maxConnections)"])
            guard connections.tryTake(.refusal) else {
                mode = .closing
                return context.close(promise: nil)  // too many refusals being read already: no answer
            }
            slot = .refusal
            answer(
                .serviceUnavailable,
                "the server is at its limit of \(connections.limits.maxConnections) connections; retry later",
                extraHeaders: "Retry-After: 1\r\n",
                context: context
            )
            return
        }
        slot = .connection
        mode = .http
        requestStart = context.eventLoop.now  // the first request's time runs from the opening
        rearm(context: context)
    }

    private func closed() {
        cancelTimer()
        if let slot {
            connections.release(slot)
            self.slot = nil
        }
        mode = .closing
        deferredClose?.succeed(())
        deferredClose = nil
    }

    private func malformed(_ error: HTTPParserError, context: ChannelHandlerContext) {
        connections.logger.debug("malformed HTTP request", metadata: ["error": "\(error)"])
        guard !responseInProgress else {
            return finish(writing: nil, context: context)  // half a response is out: no clean answer fits
        }
        if case .headerOverflow = error {
            answer(
                .requestHeaderFieldsTooLarge, "the request's header fields are over the size limit", context: context)
        } else {
            answer(.badRequest, "malformed HTTP request (\(error))", context: context)
        }
    }

    private func answer(
        _ status: HTTPResponseStatus, _ message: String, extraHeaders: String = "", context: ChannelHandlerContext
    ) {
        finish(writing: Self.errorResponse(status, message, extraHeaders: extraHeaders), context: context)
    }

    /// Writes `response`, half-closes, and closes fully after ``lingerTime`` unless the client closes first.
    private func finish(writing response: ByteBuffer?, context: ChannelHandlerContext) {
        mode = .closing
        cancelTimer()
        if let response {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(response)), promise: nil)
        }
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        // cannot half-close: close
        halfClosed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: halfClosed)
        let lingering = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
        timer = (lingering, context.eventLoop.now + Self.lingerTime)
        context.read()
    }

    /// A complete HTTP/1.1 answer with the contract's JSON error body, closing the connection.
    static func errorResponse(_ status: HTTPResponseStatus, _ message: String, extraHeaders: String = "") -> ByteBuffer
    {
        var body = ByteBuffer()
        body.writeStaticString(#"{"error":"#)
        body.writeJSONString(message)
        body.writeStaticString("}")
        var response = ByteBuffer()
        response.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        response.writeString("Content-Type: application/json\r\nContent-Length: \(body.readableBytes)\r\n")
        response.writeStaticString("Cache-Control: no-store\r\nConnection: close\r\n")
        response.writeString(extraHeaders)
        response.writeStaticString("\r\n")
        response.writeBuffer(&body)
        return response
    }

    // MARK: - Timers

    /// The timeout that applies now and when it is due; none while the application is answering.
    private func pendingTimeout() -> (Timeout, NIODeadline)? {
        guard mode == .http, !responseInProgress, requestsEnded <= responsesEnded else { return nil }
        if let requestStart {
            return (.request, requestStart + requestTimeout)
        }
        return (.idle, idleSince + idleTimeout)
    }

    /// Schedules the timer for the pending timeout, unless one already fires earlier (it
    /// re-checks then), so a request usually costs no timer at all.
    private func rearm(context: ChannelHandlerContext) {
        guard let (_, pending) = pendingTimeout() else { return }
        // Never later than one request timeout from now: the next request's deadline is then
        // never earlier than the timer, so a busy keep-alive connection schedules no timer per
        // request (one every request timeout instead, re-armed when it fires).
        let due = min(pending, context.eventLoop.now + requestTimeout)
        if let timer, timer.due <= due { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timerFired(context: context)
        }
        timer = (task, due)
    }

    private func cancelTimer() {
        timer?.task.cancel()
        timer = nil
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let (timeout, due) = pendingTimeout() else { return }
        guard due <= context.eventLoop.now else {
            return rearm(context: context)
        }
        switch timeout {
        case .request:
            connections.metrics.requestTimeouts.increment()
            connections.logger.debug("request timed out: closing the connection")
            if responsesEnded > requestsEnded {
                finish(writing: nil, context: context)  // already answered (before its body arrived)
            } else {
                let milliseconds = Int(connections.limits.requestTimeout / .milliseconds(1))
                answer(
                    .requestTimeout, "the request did not arrive within \(milliseconds) ms; send it whole and promptly",
                    context: context)
                context.fireErrorCaught(RequestTimedOut())
            }
        case .idle:
            connections.metrics.idleTimeouts.increment()
            connections.logger.debug("idle connection timed out: closing it")
            mode = .closing
            context.close(promise: nil)
        }
    }
}
