import NIOConcurrencyHelpers
import NIOCore

/// An Engine.IO session on HTTP long-polling: the packets written for its subscriber wait
/// in a queue until the client's next GET takes them (joined by `\x1e`), and each POST's
/// packets go to the subscriber. The session lives on the event loop of its handshake;
/// requests arriving on other loops hop to it (``PollingSessions``).
///
/// Upgrade to WebSocket (Engine.IO "upgrade"): the WebSocket's `2probe` makes a pending GET
/// return with a noop (`6`), and the client's `5` hands the session (``Subscriber/SocketIOSession``),
/// with what the client has not taken yet, to a subscriber on the WebSocket; polling
/// requests for the session are refused from then on.
///
/// Loop-confined: every method runs on ``eventLoop``.
final class PollingTransport: SubscriberTransport, @unchecked Sendable {
    /// What a GET is answered with.
    enum PollAnswer: Sendable {
        /// Engine.IO packets, joined by `\x1e`.
        case packets(ByteBuffer)
        case error(EngineIOError)
    }

    typealias Responder = @Sendable (PollAnswer) -> Void

    private enum State {
        case polling
        /// The WebSocket probed; polling goes on until the client's `5`.
        case upgrading
        /// The session moved to a WebSocket.
        case upgraded
        /// Closing: the queue ends with a close packet for the next GET.
        case closing
        case closed
    }

    let eventLoop: any EventLoop
    let sessionID: String
    private let sessions: PollingSessions
    private let dependencies: SubscriberDependencies
    private var subscriber: Subscriber?
    private var state = State.polling
    private var queue: [ByteBuffer] = []
    private var queuedBytes = 0
    private var bulkAllowance = 0
    private var pendingPoll: Responder?
    private let closed: EventLoopPromise<Void>

    init(sessionID: String, eventLoop: any EventLoop, sessions: PollingSessions, dependencies: SubscriberDependencies) {
        self.sessionID = sessionID
        self.eventLoop = eventLoop
        self.sessions = sessions
        self.dependencies = dependencies
        self.closed = eventLoop.makePromise()
    }

    /// Starts `subscriber` on this session (its open packet is the handshake's answer).
    func start(_ subscriber: Subscriber) {
        self.subscriber = subscriber
        subscriber.start(on: self)
    }

    // MARK: Requests

    /// A GET: answered at once when packets wait, else when the next one is flushed (the
    /// subscriber's heartbeat sends a ping within the ping interval).
    func poll(_ responder: @escaping Responder) {
        eventLoop.preconditionInEventLoop()
        switch state {
        case .upgraded:
            return responder(.error(.badRequest("this session was upgraded to a WebSocket")))
        case .closed:
            return responder(.error(.unknownSession))
        case .polling, .upgrading, .closing:
            break
        }
        if let pending = pendingPoll {
            // Two GETs at once: the Engine.IO spec closes the session.
            pendingPoll = nil
            pending(.error(.badRequest("overlapping GET requests on one session")))
            responder(.error(.badRequest("overlapping GET requests on one session")))
            subscriber?.close(code: 1002, reason: "overlapping polls", grace: .zero)
            return
        }
        pendingPoll = responder
        if state == .upgrading {
            // A GET that raced the probe: released at once, as the probe released the one before.
            releasePendingPoll()
        } else {
            answerPoll()
        }
    }

    /// A POST's packets, in order. Returns the error to answer instead of `ok`, if any.
    func post(_ packets: [ByteBuffer]) -> EngineIOError? {
        eventLoop.preconditionInEventLoop()
        switch state {
        case .upgraded: return .badRequest("this session was upgraded to a WebSocket")
        case .closed: return .unknownSession
        case .closing: return nil
        case .polling, .upgrading: break
        }
        guard let subscriber else { return .unknownSession }
        for packet in packets {
            guard subscriber.admit() else { break }
            subscriber.receive(packet)
        }
        return nil
    }

    /// The WebSocket of an upgrade answered `3probe`: release the pending GET with a noop,
    /// so the client can pause polling. False when the session cannot upgrade.
    func probed() -> Bool {
        eventLoop.preconditionInEventLoop()
        guard state == .polling || state == .upgrading else { return false }
        state = .upgrading
        releasePendingPoll()
        return true
    }

    /// The client's `5` on the WebSocket: the session leaves polling. Returns where it
    /// stands, or nil when it cannot move (closed meanwhile).
    func upgrade() -> Subscriber.SocketIOSession? {
        eventLoop.preconditionInEventLoop()
        guard state == .upgrading, let subscriber else { return nil }
        releasePendingPoll()
        let session = subscriber.handOver(unsent: queue)
        self.subscriber = nil
        queue = []
        queuedBytes = 0
        state = .upgraded
        // Kept a while so that late polls of this session get "upgraded", not "unknown".
        let settings = dependencies.settings
        eventLoop.scheduleTask(in: settings.pingInterval + settings.pingTimeout) { [self] in finish() }
        return session
    }

    /// Answers a waiting GET with what is queued, or with a noop when nothing is, so the
    /// client can pause polling while it upgrades.
    private func releasePendingPoll() {
        guard pendingPoll != nil else { return }
        if queue.isEmpty { queue.append(SocketIOProtocol.noopFrame()) }
        answerPoll()
    }

    // MARK: SubscriberTransport

    func write(_ frame: ByteBuffer) {
        guard state != .closed, state != .upgraded else { return }
        queue.append(frame)
        queuedBytes += frame.readableBytes
        guard queuedBytes > dependencies.settings.outboundLimitBytes + bulkAllowance, state != .closing else { return }
        dependencies.metrics.slowConsumerCloses.increment()
        dependencies.logger.info(
            "closing a polling client that stopped polling", metadata: ["queuedBytes": "\(queuedBytes)"])
        subscriber?.close(code: 4008, reason: "outbound queue over limit: client too slow", grace: .zero)
    }

    func flush() {
        answerPoll()
    }

    func allowBulk(_ bytes: Int) {
        bulkAllowance += bytes
    }

    func sendPing() {}  // Engine.IO pings in-band: the subscriber sends `2`.

    /// Queues a close packet for the next GET, and ends the session when it is taken or
    /// after `grace`.
    func close(code: UInt16, reason: String, grace: TimeAmount) {
        guard state == .polling || state == .upgrading else { return }
        state = .closing
        queue.append(SocketIOProtocol.closeFrame())
        if pendingPoll != nil || grace == .zero {
            answerPoll()
            finish()
        } else {
            eventLoop.scheduleTask(in: grace) { [self] in finish() }
        }
    }

    var closeFuture: EventLoopFuture<Void> { closed.futureResult }

    // MARK: Private

    private func answerPoll() {
        guard let responder = pendingPoll, !queue.isEmpty else { return }
        pendingPoll = nil
        var payload = ByteBuffer()
        payload.reserveCapacity(queuedBytes + queue.count)
        for (index, frame) in queue.enumerated() {
            if index > 0 { payload.writeInteger(UInt8(0x1E)) }
            var packet = WebSocketFrameBuilder.payload(of: frame)
            payload.writeBuffer(&packet)
        }
        queue.removeAll(keepingCapacity: true)
        queuedBytes = 0
        bulkAllowance = 0
        responder(.packets(payload))
        if state == .closing { finish() }
    }

    /// Ends the session for good.
    private func finish() {
        guard state != .closed else { return }
        state = .closed
        if let pending = pendingPoll {
            pendingPoll = nil
            pending(.error(.unknownSession))
        }
        sessions.remove(sessionID)
        subscriber?.transportClosed()
        subscriber = nil
        closed.succeed()
    }
}

/// The Engine.IO sessions on polling, by session id, on every event loop.
final class PollingSessions: Sendable {
    private let sessions = NIOLockedValueBox<[String: PollingTransport]>([:])

    func add(_ session: PollingTransport) {
        sessions.withLockedValue { $0[session.sessionID] = session }
    }

    func remove(_ sessionID: String) {
        _ = sessions.withLockedValue { $0.removeValue(forKey: sessionID) }
    }

    func session(_ sessionID: String) -> PollingTransport? {
        sessions.withLockedValue { $0[sessionID] }
    }
}

/// An Engine.IO protocol error: its HTTP status and body (`{"code":…,"message":…}`,
/// the codes of the Engine.IO server).
struct EngineIOError: Error, Sendable {
    var status: Int
    var code: Int
    var message: String

    static let unknownTransport = EngineIOError(status: 400, code: 0, message: "Transport unknown")
    static let unknownSession = EngineIOError(status: 400, code: 1, message: "Session ID unknown")
    static let badHandshakeMethod = EngineIOError(status: 400, code: 2, message: "Bad handshake method")
    static let unsupportedVersion = EngineIOError(
        status: 400, code: 5, message: "Unsupported protocol version: EIO=4 is required")
    static func badRequest(_ detail: String) -> EngineIOError {
        EngineIOError(status: 400, code: 3, message: "Bad request: \(detail)")
    }
    static func forbidden(_ detail: String) -> EngineIOError {
        EngineIOError(status: 403, code: 4, message: "Forbidden: \(detail)")
    }
    static func tooLarge(limit: Int) -> EngineIOError {
        EngineIOError(status: 413, code: 3, message: "Bad request: payload over maxPayload (\(limit) bytes)")
    }
}
