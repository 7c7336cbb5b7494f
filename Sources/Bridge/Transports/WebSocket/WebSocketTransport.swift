import NIOCore
import NIOWebSocket

/// The WebSocket under a ``Subscriber``: control frames, the closing handshake, the
/// outbound bound, and the subscriber's text messages. For an Engine.IO upgrade from
/// polling it first answers the probe, then takes the polling session over.
///
/// Frames arrive whole and checked (NIO's decoder, the ``ClientFrameValidator`` and NIO's
/// aggregator, bounded by the client frame limit); outbound, complete pre-encoded frames
/// (``WebSocketFrameBuilder``) go through the ``RawFrameOutlet``, straight to the socket.
final class WebSocketTransport: ChannelSubscriberTransport, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// What the WebSocket carries once open.
    enum Start {
        /// A subscriber decided before the upgrade.
        case subscriber(Subscriber)
        /// The polling session this WebSocket upgrades (`sid` in its URL).
        case upgrade(PollingTransport)
    }

    private enum State {
        /// Upgrading from polling: waiting for `2probe`, then `5`.
        case probing(PollingTransport)
        /// `5` came; the session moves over on its own loop. Clients send at once after `5`
        /// (python-socketio its CONNECT), so messages wait here for the subscriber.
        case takingOver(pending: [ByteBuffer])
        case open
        case closing
        case closed
    }

    /// How long an upgrade may take from the WebSocket's opening to the client's `5`.
    static let upgradeTimeout = TimeAmount.seconds(10)
    /// Messages a client may send between `5` and the takeover (a CONNECT, an ack or two).
    static let maximumPendingDuringTakeover = 16

    /// Until the handler is added; then the subscriber or the probing state holds what it needs.
    private var start: Start?
    private let dependencies: SubscriberDependencies
    private let fanOut: LoopFanOut
    private var state = State.open
    private var subscriber: Subscriber?
    private var context: ChannelHandlerContext?
    /// The ``RawFrameOutlet``'s context: frames written here go straight to the socket.
    private var outlet: ChannelHandlerContext?
    /// A big snapshot alone does not make a client slow.
    var bound = OutboundBound()

    init(start: Start, dependencies: SubscriberDependencies, fanOut: LoopFanOut) {
        self.start = start
        self.dependencies = dependencies
        self.fanOut = fanOut
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outlet = try? context.pipeline.syncOperations.context(handlerType: RawFrameOutlet.self)
        guard let start else { return }
        self.start = nil
        switch start {
        case .subscriber(let subscriber):
            startSubscriber(subscriber)
        case .upgrade(let session):
            state = .probing(session)
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: Self.upgradeTimeout) {
                switch bound.value.state {
                case .probing, .takingOver: bound.value.close(code: 1008, reason: "upgrade not completed", grace: .zero)
                case .open, .closing, .closed: break
                }
            }
        }
    }

    private func startSubscriber(_ subscriber: Subscriber) {
        self.subscriber = subscriber
        state = .open
        subscriber.start(on: self)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Closing already: the decoder may keep failing on what the client still sends.
        guard isOpen else { return }
        let settings = dependencies.settings
        switch error {
        case let violation as ClientFrameViolation:
            closeSubscriber(code: violation.code, reason: violation.reason)
        case NIOWebSocketError.invalidFrameLength, NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge,
            NIOWebSocketFrameAggregator.Error.tooManyFragments:
            closeSubscriber(code: 1009, reason: "message too big (limit \(settings.maximumClientFrameBytes) bytes)")
        case is NIOWebSocketError, is NIOWebSocketFrameAggregator.Error:
            closeSubscriber(code: 1002, reason: "WebSocket protocol error")
        default:
            dependencies.logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard isOpen else {
            // Closing: the client's close frame completes the handshake.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // Masks, RSV bits, opcodes and close codes were checked frame by frame by the
        // ClientFrameValidator, before the aggregator merged the fragments.
        switch frame.opcode {
        case .pong:
            subscriber?.noteAlive()
            return
        case .connectionClose:
            var payload = frame.unmaskedData
            closeSubscriber(code: payload.readInteger(as: UInt16.self) ?? 1000, reason: "")  // echoes a valid code
            return
        default:
            break
        }
        if let subscriber, !subscriber.admit() { return }
        switch frame.opcode {
        case .ping:
            outlet?.writeAndFlush(
                wrapOutboundOut(WebSocketFrameBuilder.pong(echoing: frame.unmaskedData)), promise: nil)
        case .text:
            let text = frame.unmaskedData
            guard String(validating: text.readableBytesView, as: UTF8.self) != nil else {
                return closeSubscriber(code: 1007, reason: "text frames must be UTF-8")
            }
            switch state {
            case .probing(let session):
                return probe(text, session: session, context: context)
            case .takingOver(var pending):
                guard pending.count < Self.maximumPendingDuringTakeover else {
                    return close(code: 1008, reason: "too many messages during the upgrade", grace: .seconds(2))
                }
                pending.append(text)
                state = .takingOver(pending: pending)
            case .open, .closing, .closed:
                subscriber?.receive(text)
            }
        case .binary:
            subscriber?.receiveBinary()
        default:
            break
        }
    }

    // MARK: Upgrade from polling

    /// `2probe` is answered `3probe` (and the pending poll released); `5` moves the session here.
    private func probe(_ text: ByteBuffer, session: PollingTransport, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        switch String(buffer: text) {
        case "2probe":
            session.eventLoop.submit { session.probed() }
                .hop(to: context.eventLoop)
                .whenSuccess { probed in
                    bound.value.dependencies.logger.debug(
                        "engine.io upgrade probed", metadata: ["sid": "\(session.sessionID)", "probed": "\(probed)"])
                    guard probed else {
                        return bound.value.close(code: 1008, reason: "this session cannot upgrade", grace: .zero)
                    }
                    bound.value.outlet?.writeAndFlush(
                        bound.value.wrapOutboundOut(SocketIOProtocol.probeAnswerFrame()), promise: nil)
                }
        case "5":
            state = .takingOver(pending: [])
            session.eventLoop.submit { session.upgrade() }
                .hop(to: context.eventLoop)
                .whenSuccess { moved in
                    let this = bound.value
                    this.dependencies.logger.debug(
                        "engine.io upgraded",
                        metadata: ["sid": "\(session.sessionID)", "rooms": "\(moved?.positions.count ?? -1)"]
                    )
                    // closed meanwhile: the session is lost with it
                    guard case .takingOver(let pending) = this.state else { return }
                    guard let moved else {
                        return this.close(code: 1008, reason: "this session cannot upgrade", grace: .zero)
                    }
                    let subscriber = Subscriber(
                        opening: .socketIOContinuing(moved), dependencies: this.dependencies, fanOut: this.fanOut)
                    this.startSubscriber(subscriber)
                    for text in pending where this.isOpen && subscriber.admit() { subscriber.receive(text) }
                }
        default:
            close(code: 1002, reason: "expected the Engine.IO probe (2probe, then 5)", grace: .seconds(2))
        }
    }

    // MARK: SubscriberTransport

    func write(_ frame: ByteBuffer) {
        outlet?.write(wrapOutboundOut(frame), promise: nil)
    }

    /// Hands the writes to the socket, then checks the bound: what the socket did not take
    /// is what the client has not read. (Checked per write, a fan-out batch larger than the
    /// bound closed clients that read everything.)
    func flush() {
        guard let context, let outlet else { return }
        outlet.flush()
        if let buffered = bound.exceeded(on: context.channel, limit: dependencies.settings.outboundLimitBytes) {
            closeStuck(buffered: buffered)
        }
    }

    func sendPing() {
        outlet?.writeAndFlush(wrapOutboundOut(WebSocketFrameBuilder.ping()), promise: nil)
    }

    /// Starts the closing handshake: sends a close frame, then half-closes (FIN) once it is
    /// written. Input is still read and dropped until the client closes too, its close
    /// frame arrives, or `grace` passes: closing with unread input would make the kernel
    /// send a reset, and the client would lose the close frame.
    func close(code: UInt16, reason: String, grace: TimeAmount) {
        guard isOpen, let context else { return }
        state = .closing
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        if grace > .zero, let outlet {
            outlet.writeAndFlush(wrapOutboundOut(WebSocketFrameBuilder.close(code: code, reason: reason))).whenSuccess {
                bound.value.close(mode: .output, promise: nil)
            }
        }
        context.eventLoop.scheduleTask(in: grace) { bound.value.close(promise: nil) }
    }

    var closeFuture: EventLoopFuture<Void> {
        context?.channel.closeFuture ?? fanOut.eventLoop.makeSucceededVoidFuture()
    }

    // MARK: Private

    private var isOpen: Bool {
        switch state {
        case .open, .probing, .takingOver: true
        case .closing, .closed: false
        }
    }

    /// Closes through the subscriber when there is one (it leaves its rooms first).
    private func closeSubscriber(code: UInt16, reason: String) {
        if let subscriber {
            subscriber.close(code: code, reason: reason)
        } else {
            close(code: code, reason: reason, grace: .seconds(2))
        }
    }

    /// The channel holds more than the bound: the client is not reading. Stop sending it
    /// events, queue a 4008 close behind what it has not read, and drop the connection
    /// after the grace period whether or not it reads.
    private func closeStuck(buffered: Int) {
        let settings = dependencies.settings
        dependencies.metrics.slowConsumerCloses.increment()
        dependencies.logger.info("closing a client that stopped reading", metadata: ["bufferedBytes": "\(buffered)"])
        subscriber?.close(
            code: 4008, reason: "outbound queue over limit: client too slow", grace: settings.slowCloseGrace)
    }

    func tearDown() {
        if case .closed = state { return }
        state = .closed
        subscriber?.transportClosed()
        subscriber = nil
    }
}
