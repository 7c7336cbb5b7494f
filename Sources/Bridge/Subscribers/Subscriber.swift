import Logging
import NIOCore
import ServerSupport

/// One subscriber: the protocol it speaks, its life (``SubscriberLifecycle``), the rooms it
/// is in, its heartbeat and its rate limit, over whichever transport carries it
/// (``SubscriberTransport``: a WebSocket, or an Engine.IO polling session).
///
/// Loop-confined and callback-driven, not a task: an idle subscriber costs this object and
/// its transport, and a delivery is a synchronous write from its event loop's ``LoopFanOut``.
final class Subscriber {
    /// How the subscriber starts, as decided before its transport opened.
    enum Opening {
        /// `/ws`: joins the token's room at once (with `since` if the URL had one).
        case plain(identity: DashboardIdentity, since: RoomPosition?)
        /// `/socket.io/`: sends the Engine.IO open packet, then waits for CONNECT; the
        /// identity is set if the URL or header had a valid token.
        case socketIO(identity: DashboardIdentity?, upgrades: [String])
        /// A Socket.IO session moving to a new transport (an upgrade from polling).
        case socketIOContinuing(SocketIOSession)
        /// `/events`: joins `rooms` at once, each from its position in `since` (a `Last-Event-ID`).
        case serverSentEvents(identity: DashboardIdentity, rooms: [RoomName], since: [RoomName: RoomPosition])
    }

    /// Where a Socket.IO session stands: what an upgrade hands from one transport to the next.
    struct SocketIOSession: Sendable {
        var sessionID: String
        var identity: DashboardIdentity?
        var connected: Bool
        /// A CONNECT whose token was still being checked.
        var pendingConnect: SocketIOProtocol.ConnectAuth?
        /// Per room, the position of the last event or snapshot sent.
        var positions: [RoomName: String]
        /// Packets written to the old transport that the client has not taken.
        var unsent: [ByteBuffer]
    }

    let kind: SubscriberProtocol
    let eventLoop: any EventLoop
    /// How it starts; dropped once started (a boxed payload costs an idle connection a pointer).
    private var opening: OpeningBox?
    private var lifecycle: SubscriberLifecycle
    private let dependencies: SubscriberDependencies
    private let fanOut: LoopFanOut
    private var logger: Logger { dependencies.logger }
    private var transport: (any SubscriberTransport)?
    private let sessionID: String
    /// The rooms joined; with their last position sent when ``tracksPositions``.
    private var rooms: [RoomName: String] = [:]
    /// Whether the position of each room must be known: a later transport may take this
    /// session over (polling), or the stream names them in its ids (SSE).
    private let tracksPositions: Bool
    private var limiter: ClientMessageRateLimiter
    private let openedAt: NIODeadline
    private var lastPingAt: NIODeadline
    private var awaitingPong = false
    /// A verified CONNECT whose answer waits for this instance to catch up (``afterCatchingUp``).
    private var connectingWith: SocketIOProtocol.ConnectAuth?
    /// Set by ``LoopFanOut`` while a batch is being written.
    var hasUnflushedWrites = false

    private var settings: ConnectionSettings { dependencies.settings }

    init(
        opening: Opening,
        sessionID: String = Subscriber.randomID(),
        tracksPositions: Bool = false,
        dependencies: SubscriberDependencies,
        fanOut: LoopFanOut
    ) {
        self.eventLoop = fanOut.eventLoop
        self.openedAt = fanOut.eventLoop.now
        self.lastPingAt = fanOut.eventLoop.now
        self.dependencies = dependencies
        self.fanOut = fanOut
        if case .serverSentEvents = opening {
            self.tracksPositions = true
        } else {
            self.tracksPositions = tracksPositions
        }
        self.limiter = ClientMessageRateLimiter(messagesPerSecond: dependencies.settings.clientMessagesPerSecond)
        switch opening {
        case .plain(let identity, _):
            kind = .plain
            lifecycle = SubscriberLifecycle(identity: identity)
            self.sessionID = sessionID
        case .socketIO(let identity, _):
            kind = .socketIO
            lifecycle = SubscriberLifecycle(preVerified: identity)
            self.sessionID = sessionID
        case .socketIOContinuing(let session):
            kind = .socketIO
            lifecycle = SubscriberLifecycle(continuing: session)
            self.sessionID = session.sessionID
        case .serverSentEvents(let identity, _, _):
            kind = .serverSentEvents
            lifecycle = SubscriberLifecycle(identity: identity)
            self.sessionID = sessionID
        }
        self.opening = OpeningBox(opening)
    }

    private final class OpeningBox {
        let opening: Opening
        init(_ opening: Opening) { self.opening = opening }
    }

    /// Attaches the transport and starts: registers with the loop's fan-out, then joins at
    /// once (plain), sends the open packet (Socket.IO), or takes over a moved session.
    func start(on transport: any SubscriberTransport) {
        eventLoop.preconditionInEventLoop()
        guard let opening = self.opening?.opening else { return }
        self.opening = nil
        self.transport = transport
        fanOut.register(self)
        dependencies.metrics.connections(kind).increment()
        switch opening {
        case .plain(let identity, let since):
            join(identity.ownRoom, since: since)
        case .socketIO(_, let upgrades):
            let open = SocketIOProtocol.OpenParameters(
                sessionID: sessionID,
                upgrades: upgrades,
                pingInterval: settings.pingInterval,
                pingTimeout: settings.pingTimeout,
                maximumPayload: settings.maximumClientFrameBytes
            )
            send(SocketIOProtocol.openFrame(open))
        case .socketIOContinuing(let session):
            for packet in session.unsent { transport.write(packet) }
            // What the old transport sent last is where this one resumes: nothing lost or doubled.
            for (room, position) in session.positions.sorted(by: { $0.key.description < $1.key.description }) {
                join(room, since: RoomPosition(encoded: position))
            }
            if let pending = session.pendingConnect { handleConnect(pending) }
            transport.flush()
        case .serverSentEvents(_, let rooms, let since):
            afterCatchingUp(to: Array(since.values)) { this in
                for room in rooms { this.join(room, since: since[room]) }
            }
        }
    }

    // MARK: Client messages

    /// The client showed it is alive (a WebSocket pong, or any message).
    func noteAlive() {
        awaitingPong = false
    }

    /// Counts one client message (any frame or packet) against the rate limit. Past it, the
    /// client is told in its protocol and closed; returns false.
    func admit() -> Bool {
        noteAlive()
        guard lifecycle.isOpen else { return false }
        guard limiter.allow() else {
            let message = "rate limit exceeded: more than \(settings.clientMessagesPerSecond) messages per second"
            switch kind {
            case .plain:
                send(
                    PlainProtocol.errorFrame(
                        PlainProtocolError(
                            .rateLimited, "more than \(settings.clientMessagesPerSecond) messages per second")))
            case .socketIO where lifecycle.isJoined:
                send(SocketIOProtocol.disconnectFrame())  // the client learns it was the server, not the network
            case .socketIO:
                send(SocketIOProtocol.connectErrorFrame(message: message))
            case .serverSentEvents:
                break
            }
            close(code: 1008, reason: "rate limit exceeded")
            return false
        }
        return true
    }

    /// A client's text message (a WebSocket text frame, or one packet of a polling POST).
    func receive(_ text: ByteBuffer) {
        guard lifecycle.isOpen else { return }
        switch kind {
        case .plain: handlePlainMessage(text)
        case .socketIO: handleSocketIOPacket(text)
        case .serverSentEvents: return  // a stream has no client messages
        }
    }

    /// A binary message, which neither protocol has.
    func receiveBinary() {
        guard lifecycle.isOpen, kind == .plain else { return }
        send(
            PlainProtocol.errorFrame(
                PlainProtocolError(.badRequest, "binary frames are not part of this protocol: send JSON text")))
    }

    // MARK: Plain protocol

    private func handlePlainMessage(_ text: ByteBuffer) {
        guard let identity = lifecycle.identity else { return }
        switch PlainProtocol.parse(text) {
        case .failure(let error):
            send(PlainProtocol.errorFrame(error))
        case .success(.join(let room, let since)):
            guard identity.mayJoin(room) else {
                send(
                    PlainProtocol.errorFrame(
                        PlainProtocolError(.forbidden, "this token may not join \(room)", room: room.description)))
                return
            }
            guard rooms[room] != nil || rooms.count < settings.maximumRoomsPerConnection else {
                send(
                    PlainProtocol.errorFrame(
                        PlainProtocolError(
                            .badRequest, "a connection may be in at most \(settings.maximumRoomsPerConnection) rooms",
                            room: room.description
                        )))
                return
            }
            // Joining a joined room re-syncs it.
            if rooms[room] != nil { leave(room) }
            join(room, since: since)
        case .success(.leave(let room)):
            if rooms[room] != nil { leave(room) }
            send(PlainProtocol.leftFrame(room: room))
        }
    }

    // MARK: Socket.IO

    private func handleSocketIOPacket(_ text: ByteBuffer) {
        switch SocketIOProtocol.parse(text) {
        case .pong, .noop, .other:
            return
        case .event(let namespace, let ackID):
            if let ackID, lifecycle.isJoined, namespace == "/" {
                send(SocketIOProtocol.emptyAckFrame(namespace: namespace, ackID: ackID))
            }
        case .ping:
            send(SocketIOProtocol.pongFrame())
        case .close:
            close(code: 1000, reason: "client closed", grace: .zero)  // the client closes its transport itself
        case .disconnect:
            close(code: 1000, reason: "client disconnected")
        case .upgrade:
            close(code: 1002, reason: "bad Engine.IO packet: upgrade without a probe")
        case .malformed(let reason):
            close(code: 1002, reason: "bad Engine.IO packet: \(reason)")
        case .connect(let namespace, let auth):
            guard namespace == "/" else {
                send(SocketIOProtocol.connectErrorFrame(message: "Invalid namespace", namespace: namespace))
                return
            }
            handleConnect(auth)
        }
    }

    private func handleConnect(_ auth: SocketIOProtocol.ConnectAuth) {
        switch lifecycle.connectReceived(auth) {
        case .ignore:
            return
        case .verify(let token):
            let promise = eventLoop.makePromise(of: Result<DashboardIdentity, TokenRejection>.self)
            promise.completeWithTask { [verifier = dependencies.verifier] in await verifier.verify(token) }
            let this = NIOLoopBound(self, eventLoop: eventLoop)
            promise.futureResult.whenSuccess { result in this.value.finishConnect(result, auth: auth) }
        case .accept(let identity):
            finishConnect(.success(identity), auth: auth)
        case .refuse(let message):
            send(SocketIOProtocol.connectErrorFrame(message: message))
        }
    }

    private func finishConnect(_ result: Result<DashboardIdentity, TokenRejection>, auth: SocketIOProtocol.ConnectAuth)
    {
        switch lifecycle.verified(result) {
        case .ignore:
            return
        case .refuse(let message):
            send(SocketIOProtocol.connectErrorFrame(message: message))
        case .join(let identity):
            // A client recovering its connection state sends the pid and offset it was given:
            // the events after that offset, from this instance's history, then live events.
            let recoveryID = auth.recoveryID.flatMap { Self.isRecoveryID($0) ? $0 : nil }
            let since = recoveryID == nil ? nil : auth.offset.flatMap { RoomPosition(encoded: $0) }
            connectingWith = auth
            connectToRoom(identity.ownRoom, since: since, recoveryID: recoveryID)
        }
    }

    private func connectToRoom(_ room: RoomName, since: RoomPosition?, recoveryID: String?) {
        afterCatchingUp(to: since.map { [$0] } ?? []) { this in
            this.connectingWith = nil
            let join = this.joinRoom(room, since: since)
            let recovered = join.recovered == true
            this.transport?.write(
                SocketIOProtocol.connectedFrame(
                    socketID: Self.randomID(), recoveryID: recovered ? recoveryID! : Self.randomID()))
            this.write(join)
            this.logger.debug("socket.io connected", metadata: ["room": "\(room)", "recovered": "\(recovered)"])
        }
    }

    /// How long a resuming client waits for this instance to replay the topic at start and
    /// to consume up to its positions (it may have just started, or be behind the one the
    /// client left).
    private static let catchUpAttempts = 200
    private static let catchUpStep = TimeAmount.milliseconds(100)

    /// Runs `body` once this instance is ready (its start-up replay done) and has consumed up
    /// to `positions`, or after about 20 s (then the resume is answered with a snapshot),
    /// unless the subscriber closed meanwhile. Without positions it runs at once.
    private func afterCatchingUp(to positions: [RoomPosition], attempt: Int = 0, _ body: @escaping (Subscriber) -> Void)
    {
        guard lifecycle.isOpen else { return }
        let waiting =
            !positions.isEmpty
            && (dependencies.readiness.status != .ready || positions.contains(where: { dependencies.hub.isBehind($0) }))
        guard attempt < Self.catchUpAttempts, waiting else {
            return body(self)
        }
        let bound = NIOLoopBound((subscriber: self, body: body), eventLoop: eventLoop)
        eventLoop.scheduleTask(in: Self.catchUpStep) {
            bound.value.subscriber.afterCatchingUp(to: positions, attempt: attempt + 1, bound.value.body)
        }
    }

    /// A `pid` this server could have issued.
    private static func isRecoveryID(_ text: String) -> Bool {
        text.utf8.count == 20 && text.utf8.allSatisfy { idAlphabet.utf8.contains($0) }
    }

    // MARK: Rooms

    private func join(_ room: RoomName, since: RoomPosition?) {
        write(joinRoom(room, since: since), room: room)
    }

    private func joinRoom(_ room: RoomName, since: RoomPosition?) -> RoomHub.Join {
        let join = dependencies.hub.join(room, since: since, protocol: kind, fanOut: fanOut)
        fanOut.addMember(self, room: room, joinedAfter: join.joinedAfter)
        rooms[room] = tracksPositions ? join.position : ""
        dependencies.metrics.subscribers(room).increment()
        lifecycle.joined()
        logger.debug("joined", metadata: ["room": "\(room)", "resume": "\(since != nil)"])
        return join
    }

    private func write(_ join: RoomHub.Join, room: RoomName? = nil) {
        guard let transport else { return }
        transport.allowBulk(join.byteCount)
        for (index, frame) in join.frames.enumerated() {
            if kind == .serverSentEvents, let room, index < join.framePositions.count {
                rooms[room] = join.framePositions[index]
                transport.write(ServerSentEventsProtocol.idFrame(rooms))
            }
            transport.write(frame)
        }
        transport.flush()
    }

    private func leave(_ room: RoomName) {
        dependencies.hub.leave(room, protocol: kind, fanOut: fanOut)
        fanOut.removeMember(self, room: room)
        rooms[room] = nil
        dependencies.metrics.subscribers(room).decrement()
    }

    // MARK: Output

    /// Writes one fan-out event (without flushing); false if the subscriber takes no more.
    func write(_ item: FanOutItem) -> Bool {
        guard lifecycle.isOpen, let transport, let frame = item.frame(for: kind) else { return false }
        if tracksPositions { rooms[item.room] = item.position }
        // A stream's id names the position of each of its rooms: the subscriber's own line.
        if kind == .serverSentEvents { transport.write(ServerSentEventsProtocol.idFrame(rooms)) }
        transport.write(frame)
        return true
    }

    func flushWrites() {
        hasUnflushedWrites = false
        transport?.flush()
    }

    private func send(_ frame: ByteBuffer) {
        transport?.write(frame)
        transport?.flush()
    }

    // MARK: Heartbeat

    /// Called about once a second by the loop's heartbeat.
    func heartbeat(now: NIODeadline) {
        guard lifecycle.isOpen, let transport else { return }
        if kind == .socketIO, !lifecycle.isJoined, now - openedAt > settings.pingInterval + settings.pingTimeout {
            close(code: 1008, reason: "no Socket.IO CONNECT")
            return
        }
        if awaitingPong {
            if now - lastPingAt > settings.pingTimeout {
                logger.debug("ping timeout")
                close(code: 1001, reason: "ping timeout", grace: .zero)
            }
            return
        }
        guard now - lastPingAt >= settings.pingInterval else { return }
        lastPingAt = now
        switch kind {
        case .plain:
            transport.sendPing()
        case .socketIO:
            send(SocketIOProtocol.pingFrame())
        case .serverSentEvents:
            // nothing comes back: TCP and the outbound bound tell
            return send(ServerSentEventsProtocol.heartbeatFrame())
        }
        awaitingPong = true
    }

    // MARK: Closing

    /// Leaves every room and has the transport close (a WebSocket sends a close frame with
    /// `code` and `reason` and waits up to `grace` for the client's). Completes when closed.
    @discardableResult
    func close(code: UInt16, reason: String, grace: TimeAmount = .seconds(2)) -> EventLoopFuture<Void> {
        guard let transport else { return eventLoop.makeSucceededVoidFuture() }
        guard lifecycle.close() else { return transport.closeFuture }
        leaveAllRooms()
        transport.close(code: code, reason: reason, grace: grace)
        return transport.closeFuture
    }

    /// The transport is gone (or handed to another): leave everything.
    func transportClosed() {
        guard lifecycle.closed() else { return }
        leaveAllRooms()
        fanOut.unregister(self)
        dependencies.metrics.connections(kind).decrement()
        transport = nil
    }

    /// Ends this subscriber for a new transport (an upgrade) and returns where its session
    /// stands, unsent packets included.
    func handOver(unsent: [ByteBuffer]) -> SocketIOSession {
        let session = SocketIOSession(
            sessionID: sessionID,
            identity: lifecycle.identity,
            // A CONNECT still waiting for this instance to catch up is not answered yet: the
            // next transport answers it.
            connected: lifecycle.isJoined && connectingWith == nil,
            pendingConnect: lifecycle.pendingConnect ?? connectingWith,
            positions: rooms,
            unsent: unsent
        )
        transportClosed()
        return session
    }

    private func leaveAllRooms() {
        for room in Array(rooms.keys) { leave(room) }
    }

    private static let idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    private static let idCharacters = Array(idAlphabet)

    /// An Engine.IO session id, Socket.IO socket id or recovery id: 20 random URL-safe characters.
    static func randomID() -> String {
        String((0..<20).map { _ in idCharacters.randomElement()! })
    }
}

/// What a subscriber's frames travel over: a WebSocket, or an Engine.IO polling session.
/// Frames are complete WebSocket frames, encoded once for every subscriber; a transport
/// that is not a WebSocket sends their payload.
protocol SubscriberTransport: AnyObject {
    /// Queues one frame (sent on ``flush()``).
    func write(_ frame: ByteBuffer)
    func flush()
    /// A snapshot or replay of this many bytes was just written: allowed on top of the
    /// outbound bound until the client has taken it.
    func allowBulk(_ bytes: Int)
    /// The plain protocol's liveness probe (a WebSocket ping).
    func sendPing()
    /// Closes: a WebSocket sends a close frame and waits up to `grace` for the client's.
    func close(code: UInt16, reason: String, grace: TimeAmount)
    /// Completes when the transport is closed.
    var closeFuture: EventLoopFuture<Void> { get }
}

/// What every subscriber of a server shares: one object, so that each connection holds a
/// reference, not a copy (an idle connection's memory is a benchmark target).
final class SubscriberDependencies: Sendable {
    let hub: RoomHub
    /// Not ready while the start-up replay runs: resuming clients wait for it.
    let readiness: Readiness
    let verifier: DashboardTokenVerifier
    let settings: ConnectionSettings
    let cors: CORSPolicy
    let metrics: BridgeMetrics
    let logger: Logger

    init(
        hub: RoomHub, readiness: Readiness, verifier: DashboardTokenVerifier, settings: ConnectionSettings,
        cors: CORSPolicy,
        metrics: BridgeMetrics, logger: Logger
    ) {
        self.hub = hub
        self.readiness = readiness
        self.verifier = verifier
        self.settings = settings
        self.cors = cors
        self.metrics = metrics
        self.logger = logger
    }
}
