import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import WireFormats

/// The WebSocket upgrade of one HTTP connection: decides, before upgrading, whether the
/// request may (authentication included: no valid token, no upgrade; an Engine.IO upgrade
/// needs a polling session to take over), then installs the transport's handlers.
///
/// One per accepted channel, confined to its event loop. A refusal is kept here for the
/// ``RouterChannelHandler``: NIO passes a refused request on, and the route of its path
/// answers the refusal.
final class WebSocketUpgrade: @unchecked Sendable {
    /// Why an upgrade was refused: the HTTP answer to give instead.
    struct Refusal: Error, Sendable {
        var status: HTTPResponseStatus
        var message: String
        /// The Engine.IO error code, for errors of that protocol.
        var engineIOCode: Int?

        init(status: HTTPResponseStatus, message: String) {
            self.status = status
            self.message = message
        }

        init(_ error: EngineIOError) {
            self.status = HTTPResponseStatus(statusCode: error.status)
            self.message = error.message
            self.engineIOCode = error.code
        }
    }

    private let dependencies: SubscriberDependencies
    private let sessions: PollingSessions
    private let fanOut: LoopFanOut
    private var refusal: Refusal?
    /// How the WebSocket starts, decided before the upgrade: a subscriber's opening, or the
    /// polling session it takes over.
    private enum Start {
        case subscriber(Subscriber.Opening)
        case upgrade(PollingTransport)
    }

    private var start: Start?

    init(dependencies: SubscriberDependencies, sessions: PollingSessions, fanOut: LoopFanOut) {
        self.dependencies = dependencies
        self.sessions = sessions
        self.fanOut = fanOut
    }

    /// The refusal of the request NIO has just passed on, once: the connection's next
    /// requests were no upgrades.
    func takeRefusal() -> Refusal? {
        defer { refusal = nil }
        return refusal
    }

    func makeUpgrader() -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: dependencies.settings.maximumClientFrameBytes,
            automaticErrorHandling: false,
            shouldUpgrade: { [self] channel, head in shouldUpgrade(channel: channel, head: head) },
            upgradePipelineHandler: { [self] channel, _ in install(on: channel) }
        )
    }

    /// Where a WebSocket may be opened, and how.
    enum Route {
        case plain
        case socketIO
    }

    static func route(for target: RequestTarget) -> Route? {
        switch target.path {
        case "/ws": .plain
        case "/socket.io/", "/socket.io": .socketIO
        default: nil
        }
    }

    private func shouldUpgrade(channel: any Channel, head: HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?> {
        let loop = channel.eventLoop
        let target = RequestTarget(head.uri)
        guard let route = Self.route(for: target) else {
            return loop.makeSucceededFuture(nil)  // not a WebSocket path: the HTTP handler answers 404
        }
        guard dependencies.cors.allowsUpgrade(origin: head.headers.first(name: "origin")) else {
            return refuse(.forbidden, "this origin may not open WebSockets here (--cors-origins)", on: loop)
        }
        let since: RoomPosition?
        switch Self.check(route, target, upgrading: true) {
        case .failure(let refusal):
            self.refusal = refusal
            dependencies.metrics.rejectedUpgrades.increment()
            return loop.makeSucceededFuture(nil)
        case .success(let position):
            since = position
        }
        if route == .socketIO, let sessionID = target.query["sid"] {
            // An Engine.IO upgrade: the polling session moves to this WebSocket (its token was checked there).
            guard let session = sessions.session(sessionID) else {
                self.refusal = Refusal(.unknownSession)
                dependencies.metrics.rejectedUpgrades.increment()
                return loop.makeSucceededFuture(nil)
            }
            start = .upgrade(session)
            return loop.makeSucceededFuture(HTTPHeaders())
        }
        let token = Self.token(authorization: head.headers.first(name: "authorization"), target: target)
        guard let token else {
            if route == .socketIO {
                // Socket.IO clients send the token in the CONNECT packet instead.
                start = .subscriber(.socketIO(identity: nil, upgrades: []))
                return loop.makeSucceededFuture(HTTPHeaders())
            }
            return refuse(
                .unauthorized, "a token is required: Authorization: Bearer <token> or ?token=<token>", on: loop)
        }
        let verifier = dependencies.verifier
        let promise = loop.makePromise(of: Result<DashboardIdentity, TokenRejection>.self)
        promise.completeWithTask { await verifier.verify(token) }
        return promise.futureResult.map { [self] result in
            switch result {
            case .success(let identity):
                start = .subscriber(
                    route == .plain
                        ? .plain(identity: identity, since: since) : .socketIO(identity: identity, upgrades: []))
                return HTTPHeaders()
            case .failure(let rejection):
                refusal = Refusal(status: .unauthorized, message: rejection.message)
                dependencies.metrics.rejectedUpgrades.increment()
                return nil
            }
        }
    }

    /// The checks of a request that need no token: the Engine.IO version and transport
    /// (`websocket` for an upgrade, `polling` or `websocket` otherwise), and a plain `since`
    /// (returned when present). Also used to answer such requests that came without an upgrade.
    static func check(_ route: Route, _ target: RequestTarget, upgrading: Bool) -> Result<RoomPosition?, Refusal> {
        switch route {
        case .plain:
            guard let text = target.query["since"], !text.isEmpty else { return .success(nil) }
            guard let position = RoomPosition(encoded: text) else {
                return .failure(Refusal(status: .badRequest, message: "since is not a position this server issued"))
            }
            return .success(position)
        case .socketIO:
            guard target.query["EIO"] == "4" else { return .failure(Refusal(.unsupportedVersion)) }
            switch target.query["transport"] {
            case "websocket": return .success(nil)
            case "polling" where !upgrading: return .success(nil)
            case "polling": return .failure(Refusal(.badRequest("a WebSocket upgrade needs transport=websocket")))
            default: return .failure(Refusal(.unknownTransport))
            }
        }
    }

    private func refuse(
        _ status: HTTPResponseStatus, _ message: String, on loop: any EventLoop
    ) -> EventLoopFuture<HTTPHeaders?> {
        refusal = Refusal(status: status, message: message)
        dependencies.metrics.rejectedUpgrades.increment()
        return loop.makeSucceededFuture(nil)
    }

    /// After the 101 response: add the outlet for pre-encoded frames in front of NIO's
    /// frame encoder, check each client frame, reassemble fragmented client messages
    /// within the frame limit, and add the transport.
    private func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture { [self] in
            guard let start else { throw ChannelError.inappropriateOperationForState }
            let pipeline = channel.pipeline.syncOperations
            let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
            try pipeline.addHandler(RawFrameOutlet(), position: .before(encoder))
            let limit = dependencies.settings.maximumClientFrameBytes
            try pipeline.addHandler(ClientFrameValidator())
            try pipeline.addHandler(
                NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0,
                    maxAccumulatedFrameCount: 64,
                    maxAccumulatedFrameSize: limit
                ))
            let transportStart: WebSocketTransport.Start =
                switch start {
                case .subscriber(let opening):
                    .subscriber(Subscriber(opening: opening, dependencies: dependencies, fanOut: fanOut))
                case .upgrade(let session): .upgrade(session)
                }
            try pipeline.addHandler(
                WebSocketTransport(start: transportStart, dependencies: dependencies, fanOut: fanOut))
        }
    }

    /// The bearer token of the Authorization header, else the `token` query parameter.
    static func token(authorization: String?, target: RequestTarget) -> String? {
        if let token = authorization.flatMap({ BearerToken.token(in: $0) }) {
            return String(token)
        }
        if let token = target.query["token"], !token.isEmpty { return token }
        return nil
    }
}
