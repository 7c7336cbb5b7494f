import HTTPTypes
import NIOCore

/// Engine.IO's HTTP long-polling requests on `/socket.io/` (no upgrade): the handshake GET
/// opens a session, a GET with `sid` takes its queued packets, a POST with `sid` carries
/// the client's packets (joined by `\x1e`). Errors are the Engine.IO server's.
struct PollingEndpoint: Sendable {
    /// What a polling request is answered with.
    enum Answer: Sendable {
        /// Engine.IO packets (`text/plain`).
        case packets(ByteBuffer)
        /// A POST was taken: `ok`.
        case ok
        case error(EngineIOError)
        /// A refused token (the same answer as a refused WebSocket upgrade).
        case unauthorized(String)
    }

    let sessions: PollingSessions
    let dependencies: SubscriberDependencies

    /// Largest POST body: the `maxPayload` the open packet announces.
    var maximumPayload: Int { dependencies.settings.maximumClientFrameBytes }

    /// Answers a polling request whose checks (``WebSocketUpgrade/check(_:_:upgrading:)``)
    /// passed. `body` is nil when it was over ``maximumPayload``. The future completes on
    /// `fanOut`'s loop (the request's).
    func answer(
        method: HTTPRequest.Method, target: RequestTarget, authorization: String?, body: ByteBuffer?, fanOut: LoopFanOut
    ) -> EventLoopFuture<Answer> {
        let loop = fanOut.eventLoop
        let sessionID = target.query["sid"]
        switch (method, sessionID) {
        case (.get, nil):
            return handshake(authorization: authorization, target: target, fanOut: fanOut)
        case (.get, let sessionID?):
            guard let session = sessions.session(sessionID) else {
                return loop.makeSucceededFuture(.error(.unknownSession))
            }
            let promise = loop.makePromise(of: Answer.self)
            session.eventLoop.execute {
                session.poll { answer in
                    switch answer {
                    case .packets(let payload): promise.succeed(.packets(payload))
                    case .error(let error): promise.succeed(.error(error))
                    }
                }
            }
            return promise.futureResult
        case (.post, let sessionID?):
            guard let session = sessions.session(sessionID) else {
                return loop.makeSucceededFuture(.error(.unknownSession))
            }
            guard let body else { return loop.makeSucceededFuture(.error(.tooLarge(limit: maximumPayload))) }
            guard String(validating: body.readableBytesView, as: UTF8.self) != nil else {
                return loop.makeSucceededFuture(.error(.badRequest("packets must be UTF-8 text")))
            }
            let packets = body.readableBytesView.split(separator: 0x1E, omittingEmptySubsequences: false).map {
                ByteBuffer(bytes: $0)
            }
            return session.eventLoop.submit { session.post(packets) }
                .hop(to: loop)
                .map { error in error.map(Answer.error) ?? .ok }
        case (_, nil):
            return loop.makeSucceededFuture(.error(.badHandshakeMethod))
        case (_, _?):
            return loop.makeSucceededFuture(.error(.badRequest("polling takes GET and POST")))
        }
    }

    /// Opens a session on this loop; answers its open packet. A token in the URL or the
    /// Authorization header is checked first (as for a WebSocket), else CONNECT brings one.
    private func handshake(authorization: String?, target: RequestTarget, fanOut: LoopFanOut) -> EventLoopFuture<Answer>
    {
        let loop = fanOut.eventLoop
        guard let token = WebSocketUpgrade.token(authorization: authorization, target: target) else {
            return open(identity: nil, fanOut: fanOut)
        }
        let promise = loop.makePromise(of: Result<DashboardIdentity, TokenRejection>.self)
        promise.completeWithTask { [verifier = dependencies.verifier] in await verifier.verify(token) }
        return promise.futureResult.flatMap { result in
            switch result {
            case .success(let identity):
                return open(identity: identity, fanOut: fanOut)
            case .failure(let rejection):
                dependencies.metrics.rejectedUpgrades.increment()
                return loop.makeSucceededFuture(.unauthorized(rejection.message))
            }
        }
    }

    private func open(identity: DashboardIdentity?, fanOut: LoopFanOut) -> EventLoopFuture<Answer> {
        let loop = fanOut.eventLoop
        let session = PollingTransport(
            sessionID: Subscriber.randomID(), eventLoop: loop, sessions: sessions, dependencies: dependencies)
        sessions.add(session)
        let subscriber = Subscriber(
            opening: .socketIO(identity: identity, upgrades: ["websocket"]),
            sessionID: session.sessionID,
            tracksPositions: true,
            dependencies: dependencies,
            fanOut: fanOut
        )
        session.start(subscriber)
        let promise = loop.makePromise(of: Answer.self)
        session.poll { answer in
            switch answer {
            case .packets(let payload): promise.succeed(.packets(payload))
            case .error(let error): promise.succeed(.error(error))
            }
        }
        return promise.futureResult
    }
}
