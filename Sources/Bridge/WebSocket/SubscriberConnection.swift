import Logging
import NIOCore
import NIOWebSocket

/// One upgraded WebSocket connection: the protocol it speaks, the rooms it is in, its
/// heartbeat, its rate limit and its outbound bound.
///
/// A channel handler, not a task: an idle connection costs this object and its channel,
/// and a delivery is a synchronous write from its event loop's ``LoopFanOut``. Frames
/// arrive whole and checked (NIO's decoder, the ``ClientFrameValidator`` and NIO's
/// aggregator, bounded by the client frame limit);
/// outbound, the handler writes complete pre-encoded frames (``WebSocketFrameBuilder``)
/// through the ``RawFrameOutlet``, straight to the socket.
final class SubscriberConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// How the connection starts, as decided before the upgrade.
    enum Opening {
        /// `/ws`: joins the token's room at once (with `since` if the URL had one).
        case plain(identity: DashboardIdentity, since: RoomPosition?)
        /// `/socket.io/`: waits for CONNECT; the identity is set if the URL or header had a valid token.
        case socketIO(identity: DashboardIdentity?)
    }

    private enum State {
        case open
        case closing
        case closed
    }

    private let kind: SubscriberProtocol
    private var identity: DashboardIdentity?
    private let initialSince: RoomPosition?
    private let hub: RoomHub
    private let fanOut: LoopFanOut
    private let verifier: DashboardTokenVerifier
    private let settings: ConnectionSettings
    private let metrics: BridgeMetrics
    private var logger: Logger

    private var context: ChannelHandlerContext?
    /// The ``RawFrameOutlet``'s context: frames written here go straight to the socket.
    private var outlet: ChannelHandlerContext?
    private var state = State.open
    private var rooms: Set<RoomName> = []
    private var limiter: ClientMessageRateLimiter
    private let openedAt = NIODeadline.now()
    private var lastPingAt = NIODeadline.now()
    private var awaitingPong = false
    private var socketIOConnected = false
    private var socketIOVerifying = false
    /// Bytes of the last snapshot or replay, allowed on top of the outbound bound until
    /// the channel drains: a big snapshot alone does not make a client slow.
    private var bulkAllowance = 0
    /// Set by ``LoopFanOut`` while a batch is being written.
    var hasUnflushedWrites = false

    init(
        opening: Opening,
        hub: RoomHub,
        fanOut: LoopFanOut,
        verifier: DashboardTokenVerifier,
        settings: ConnectionSettings,
        metrics: BridgeMetrics,
        logger: Logger
    ) {
        switch opening {
        case .plain(let identity, let since):
            self.kind = .plain
            self.identity = identity
            self.initialSince = since
        case .socketIO(let identity):
            self.kind = .socketIO
            self.identity = identity
            self.initialSince = nil
        }
        self.hub = hub
        self.fanOut = fanOut
        self.verifier = verifier
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.limiter = ClientMessageRateLimiter(messagesPerSecond: settings.clientMessagesPerSecond)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outlet = try? context.pipeline.syncOperations.context(handlerType: RawFrameOutlet.self)
        fanOut.register(self)
        metrics.connections(kind).increment()
        switch kind {
        case .plain:
            if let identity { join(identity.ownRoom, since: initialSince) }
        case .socketIO:
            let open = SocketIOProtocol.OpenParameters(
                sessionID: Self.randomID(),
                pingInterval: settings.pingInterval,
                pingTimeout: settings.pingTimeout,
                maximumPayload: settings.maximumClientFrameBytes
            )
            send(SocketIOProtocol.openFrame(open))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { bulkAllowance = 0 }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Closing already: the decoder may keep failing on what the client still sends.
        guard state == .open else { return }
        switch error {
        case let violation as ClientFrameViolation:
            _ = close(code: violation.code, reason: violation.reason)
        case NIOWebSocketError.invalidFrameLength, NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge,
             NIOWebSocketFrameAggregator.Error.tooManyFragments:
            _ = close(code: 1009, reason: "message too big (limit \(settings.maximumClientFrameBytes) bytes)")
        case is NIOWebSocketError, is NIOWebSocketFrameAggregator.Error:
            _ = close(code: 1002, reason: "WebSocket protocol error")
        default:
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard state == .open else {
            // Closing: the client's close frame completes the handshake.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // Masks, RSV bits, opcodes and close codes were checked frame by frame by the
        // ClientFrameValidator, before the aggregator merged the fragments.
        awaitingPong = false  // any frame shows the client is alive
        switch frame.opcode {
        case .pong:
            return
        case .connectionClose:
            var payload = frame.unmaskedData
            _ = close(code: payload.readInteger(as: UInt16.self) ?? 1000, reason: "")  // echoes a valid code
            return
        default:
            break
        }
        guard limiter.allow() else {
            switch kind {
            case .plain:
                send(PlainProtocol.errorFrame(PlainProtocolError(.rateLimited, "more than \(settings.clientMessagesPerSecond) messages per second")))
            case .socketIO where socketIOConnected:
                send(SocketIOProtocol.disconnectFrame())  // the client learns it was the server, not the network
            case .socketIO:
                send(SocketIOProtocol.connectErrorFrame(message: "rate limit exceeded: more than \(settings.clientMessagesPerSecond) messages per second"))
            }
            _ = close(code: 1008, reason: "rate limit exceeded")
            return
        }
        switch frame.opcode {
        case .ping:
            send(WebSocketFrameBuilder.pong(echoing: frame.unmaskedData))
        case .text:
            let text = frame.unmaskedData
            guard String(validating: text.readableBytesView, as: UTF8.self) != nil else {
                _ = close(code: 1007, reason: "text frames must be UTF-8")
                return
            }
            switch kind {
            case .plain: handlePlainMessage(text)
            case .socketIO: handleSocketIOPacket(text)
            }
        case .binary where kind == .plain:
            send(PlainProtocol.errorFrame(PlainProtocolError(.badRequest, "binary frames are not part of this protocol: send JSON text")))
        default:
            break
        }
    }

    // MARK: Plain protocol

    private func handlePlainMessage(_ text: ByteBuffer) {
        guard let identity else { return }
        switch PlainProtocol.parse(text) {
        case .failure(let error):
            send(PlainProtocol.errorFrame(error))
        case .success(.join(let room, let since)):
            guard identity.mayJoin(room) else {
                send(PlainProtocol.errorFrame(PlainProtocolError(.forbidden, "this token may not join \(room)", room: room.description)))
                return
            }
            guard rooms.contains(room) || rooms.count < settings.maximumRoomsPerConnection else {
                send(PlainProtocol.errorFrame(PlainProtocolError(
                    .badRequest, "a connection may be in at most \(settings.maximumRoomsPerConnection) rooms", room: room.description
                )))
                return
            }
            // Joining a joined room re-syncs it.
            if rooms.contains(room) { leave(room) }
            join(room, since: since)
        case .success(.leave(let room)):
            if rooms.contains(room) { leave(room) }
            send(PlainProtocol.leftFrame(room: room))
        }
    }

    // MARK: Socket.IO

    private func handleSocketIOPacket(_ text: ByteBuffer) {
        switch SocketIOProtocol.parse(text) {
        case .pong, .other:
            return
        case .event(let namespace, let ackID):
            if let ackID, socketIOConnected, namespace == "/" {
                send(SocketIOProtocol.emptyAckFrame(namespace: namespace, ackID: ackID))
            }
        case .ping:
            send(SocketIOProtocol.pongFrame())
        case .close, .disconnect:
            _ = close(code: 1000, reason: "client disconnected")
        case .malformed(let reason):
            _ = close(code: 1002, reason: "bad Engine.IO packet: \(reason)")
        case .connect(let namespace, let token):
            guard namespace == "/" else {
                send(SocketIOProtocol.connectErrorFrame(message: "Invalid namespace", namespace: namespace))
                return
            }
            guard !socketIOConnected, !socketIOVerifying else { return }
            if let token {
                verifyThenConnect(token)
            } else if let identity {
                finishConnect(.success(identity))
            } else {
                send(SocketIOProtocol.connectErrorFrame(message: "unauthorized: CONNECT needs auth {token}"))
            }
        }
    }

    private func verifyThenConnect(_ token: String) {
        guard let context else { return }
        socketIOVerifying = true
        let promise = context.eventLoop.makePromise(of: Result<DashboardIdentity, TokenRejection>.self)
        promise.completeWithTask { [verifier] in await verifier.verify(token) }
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { result in this.value.finishConnect(result) }
    }

    private func finishConnect(_ result: Result<DashboardIdentity, TokenRejection>) {
        socketIOVerifying = false
        guard state == .open else { return }
        switch result {
        case .success(let verified):
            identity = verified
            socketIOConnected = true
            send(SocketIOProtocol.connectedFrame(socketID: Self.randomID()), flush: false)
            join(verified.ownRoom, since: nil)
        case .failure(let rejection):
            send(SocketIOProtocol.connectErrorFrame(message: rejection.message))
        }
    }

    // MARK: Rooms

    private func join(_ room: RoomName, since: RoomPosition?) {
        let join = hub.join(room, since: since, protocol: kind, fanOut: fanOut)
        fanOut.addMember(self, room: room, joinedAfter: join.joinedAfter)
        rooms.insert(room)
        metrics.subscribers(room).increment()
        bulkAllowance += join.byteCount
        for frame in join.frames {
            outlet?.write(wrapOutboundOut(frame), promise: nil)
        }
        outlet?.flush()
        logger.debug("joined", metadata: ["room": "\(room)", "resume": "\(since != nil)"])
    }

    private func leave(_ room: RoomName) {
        hub.leave(room, fanOut: fanOut)
        fanOut.removeMember(self, room: room)
        rooms.remove(room)
        metrics.subscribers(room).decrement()
    }

    // MARK: Output

    /// Writes one fan-out event (without flushing); false if the connection takes no more.
    func write(_ item: FanOutItem) -> Bool {
        guard state == .open, let context, let outlet else { return false }
        outlet.write(wrapOutboundOut(kind == .plain ? item.plainFrame : item.socketIOFrame), promise: nil)
        if !context.channel.isWritable { closeIfStuck(context) }
        return true
    }

    func flushWrites() {
        hasUnflushedWrites = false
        outlet?.flush()
    }

    private func send(_ frame: ByteBuffer, flush: Bool = true) {
        guard let outlet else { return }
        if flush {
            outlet.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            outlet.write(wrapOutboundOut(frame), promise: nil)
        }
    }

    /// The channel holds more than the bound: the client is not reading. Stop sending it
    /// events, queue a 4008 close behind what it has not read, and drop the connection
    /// after the grace period whether or not it reads.
    private func closeIfStuck(_ context: ChannelHandlerContext) {
        let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        guard buffered > settings.outboundLimitBytes + bulkAllowance else { return }
        metrics.slowConsumerCloses.increment()
        logger.info("closing a client that stopped reading", metadata: ["bufferedBytes": "\(buffered)"])
        _ = close(code: 4008, reason: "outbound queue over limit: client too slow", grace: settings.slowCloseGrace)
    }

    // MARK: Heartbeat

    /// Called about once a second by the loop's heartbeat.
    func heartbeat(now: NIODeadline) {
        guard state == .open, context != nil else { return }
        if kind == .socketIO, !socketIOConnected, now - openedAt > settings.pingInterval + settings.pingTimeout {
            _ = close(code: 1008, reason: "no Socket.IO CONNECT")
            return
        }
        if awaitingPong {
            if now - lastPingAt > settings.pingTimeout {
                logger.debug("ping timeout")
                _ = close(code: 1001, reason: "ping timeout", grace: .zero)
            }
            return
        }
        guard now - lastPingAt >= settings.pingInterval else { return }
        send(kind == .plain ? WebSocketFrameBuilder.ping() : SocketIOProtocol.pingFrame())
        awaitingPong = true
        lastPingAt = now
    }

    // MARK: Closing

    /// Starts the closing handshake: sends a close frame, then half-closes (FIN) once it is
    /// written. Input is still read and dropped until the client closes too, its close
    /// frame arrives, or `grace` passes: closing with unread input would make the kernel
    /// send a reset, and the client would lose the close frame. Completes when the channel
    /// is closed.
    @discardableResult
    func close(code: UInt16, reason: String, grace: TimeAmount = .seconds(2)) -> EventLoopFuture<Void> {
        guard let context else { return fanOut.eventLoop.makeSucceededVoidFuture() }
        let closed = context.channel.closeFuture
        guard state == .open else { return closed }
        state = .closing
        leaveAllRooms()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        if grace > .zero, let outlet {
            outlet.writeAndFlush(wrapOutboundOut(WebSocketFrameBuilder.close(code: code, reason: reason))).whenSuccess {
                bound.value.close(mode: .output, promise: nil)
            }
        }
        context.eventLoop.scheduleTask(in: grace) { bound.value.close(promise: nil) }
        return closed
    }

    private func tearDown() {
        guard state != .closed else { return }
        leaveAllRooms()
        state = .closed
        fanOut.unregister(self)
        metrics.connections(kind).decrement()
    }

    private func leaveAllRooms() {
        for room in rooms { leave(room) }
    }

    private static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// An Engine.IO session id or Socket.IO socket id: 20 random URL-safe characters.
    private static func randomID() -> String {
        String((0..<20).map { _ in idAlphabet.randomElement()! })
    }
}

