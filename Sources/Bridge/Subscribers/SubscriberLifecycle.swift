/// The life of one subscriber as a state machine: opening (waiting for a Socket.IO
/// CONNECT, or about to join), authenticating (a token being checked), joined, closing,
/// closed. Each event returns what the ``Subscriber`` must do; nothing here does I/O.
struct SubscriberLifecycle {
    enum State: Equatable {
        /// Not in a room yet; `identity` when a token was already verified (URL or header).
        case opening(identity: DashboardIdentity?)
        /// A CONNECT's token is being verified (boxed: a passing state should not make every
        /// subscriber bigger).
        indirect case authenticating(connect: SocketIOProtocol.ConnectAuth, identity: DashboardIdentity?)
        case joined(DashboardIdentity)
        case closing
        case closed
    }

    private(set) var state: State

    /// A plain subscriber, verified before its transport opened.
    init(identity: DashboardIdentity) {
        state = .opening(identity: identity)
    }

    /// A Socket.IO subscriber, with the identity of a token in its URL, if any.
    init(preVerified identity: DashboardIdentity?) {
        state = .opening(identity: identity)
    }

    /// A Socket.IO session moved from another transport.
    init(continuing session: Subscriber.SocketIOSession) {
        if session.connected, let identity = session.identity {
            state = .joined(identity)
        } else {
            state = .opening(identity: session.identity)
        }
    }

    enum ConnectAction: Equatable {
        case verify(token: String)
        case accept(DashboardIdentity)
        case refuse(message: String)
        case ignore
    }

    /// A Socket.IO CONNECT arrived: verify its token, accept the identity verified before,
    /// or refuse. A second CONNECT while one is pending or done is ignored.
    mutating func connectReceived(_ connect: SocketIOProtocol.ConnectAuth) -> ConnectAction {
        guard case .opening(let identity) = state else { return .ignore }
        if let token = connect.token {
            state = .authenticating(connect: connect, identity: identity)
            return .verify(token: token)
        }
        guard let identity else { return .refuse(message: "unauthorized: CONNECT needs auth {token}") }
        state = .authenticating(connect: connect, identity: identity)
        return .accept(identity)
    }

    enum VerifiedAction: Equatable {
        case join(DashboardIdentity)
        case refuse(message: String)
        case ignore
    }

    /// The CONNECT's token was checked. After a refusal the client may CONNECT again.
    mutating func verified(_ result: Result<DashboardIdentity, TokenRejection>) -> VerifiedAction {
        guard case .authenticating(_, let identity) = state else { return .ignore }  // closed meanwhile
        switch result {
        case .success(let verified):
            state = .joined(verified)
            return .join(verified)
        case .failure(let rejection):
            state = .opening(identity: identity)
            return .refuse(message: rejection.message)
        }
    }

    /// A room was joined.
    mutating func joined() {
        if case .opening(let identity?) = state { state = .joined(identity) }
    }

    /// Starts closing; false when it already is (nothing more to do).
    mutating func close() -> Bool {
        switch state {
        case .opening, .authenticating, .joined:
            state = .closing
            return true
        case .closing, .closed:
            return false
        }
    }

    /// The transport closed; false when that was already handled.
    mutating func closed() -> Bool {
        guard state != .closed else { return false }
        state = .closed
        return true
    }

    var isOpen: Bool {
        switch state {
        case .opening, .authenticating, .joined: true
        case .closing, .closed: false
        }
    }

    var isJoined: Bool {
        if case .joined = state { return true }
        return false
    }

    /// The identity the subscriber speaks for, once known.
    var identity: DashboardIdentity? {
        switch state {
        case .opening(let identity), .authenticating(_, let identity): identity
        case .joined(let identity): identity
        case .closing, .closed: nil
        }
    }

    /// A CONNECT still being verified (handed over on an upgrade, and checked again there).
    var pendingConnect: SocketIOProtocol.ConnectAuth? {
        if case .authenticating(let connect, _) = state { return connect }
        return nil
    }
}
