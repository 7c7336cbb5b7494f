import Testing

@testable import Bridge

@Suite("Subscriber lifecycle")
struct SubscriberLifecycleTests {
    @Test("a CONNECT with a token is verified, then joined; a second CONNECT is ignored")
    func connectWithToken() {
        var lifecycle = SubscriberLifecycle(preVerified: nil)
        #expect(lifecycle.connectReceived(.init(token: "t")) == .verify(token: "t"))
        #expect(lifecycle.pendingConnect == .init(token: "t"))
        #expect(lifecycle.connectReceived(.init(token: "t")) == .ignore)
        #expect(lifecycle.verified(.success(.admin)) == .join(.admin))
        #expect(lifecycle.isJoined && lifecycle.identity == .admin)
        #expect(lifecycle.connectReceived(.init(token: "t")) == .ignore)
    }

    @Test("a CONNECT without a token uses the URL's identity, or is refused")
    func connectWithoutToken() {
        var verified = SubscriberLifecycle(preVerified: .client("acme"))
        #expect(verified.connectReceived(.init()) == .accept(.client("acme")))
        var anonymous = SubscriberLifecycle(preVerified: nil)
        guard case .refuse = anonymous.connectReceived(.init()) else {
            Issue.record("a CONNECT without any token was not refused")
            return
        }
        #expect(anonymous.isOpen && !anonymous.isJoined)
    }

    @Test("a refused token lets the client CONNECT again")
    func refusedThenRetried() {
        var lifecycle = SubscriberLifecycle(preVerified: nil)
        _ = lifecycle.connectReceived(.init(token: "bad"))
        #expect(lifecycle.verified(.failure(TokenRejection(message: "expired"))) == .refuse(message: "expired"))
        #expect(lifecycle.connectReceived(.init(token: "good")) == .verify(token: "good"))
    }

    @Test("a verification finishing after the close is ignored; closing and closed happen once")
    func closing() {
        var lifecycle = SubscriberLifecycle(preVerified: nil)
        _ = lifecycle.connectReceived(.init(token: "t"))
        let first = lifecycle.close()
        let second = lifecycle.close()
        #expect(first && !second)
        #expect(lifecycle.verified(.success(.admin)) == .ignore)
        #expect(!lifecycle.isOpen)
        let closed = lifecycle.closed()
        let again = lifecycle.closed()
        #expect(closed && !again)
    }

    @Test("a plain subscriber is joined once its room is; a moved session keeps its state")
    func plainAndContinuing() {
        var plain = SubscriberLifecycle(identity: .admin)
        #expect(!plain.isJoined)
        plain.joined()
        #expect(plain.isJoined)
        let session = Subscriber.SocketIOSession(
            sessionID: "s", identity: .admin, connected: true, pendingConnect: nil, positions: [:], unsent: []
        )
        #expect(SubscriberLifecycle(continuing: session).isJoined)
        var waiting = session
        waiting.connected = false
        waiting.pendingConnect = .init(token: "t")
        var moved = SubscriberLifecycle(continuing: waiting)
        #expect(
            moved.connectReceived(.init(token: "t")) == .verify(token: "t"),
            "the CONNECT pending on polling is checked again")
    }
}
