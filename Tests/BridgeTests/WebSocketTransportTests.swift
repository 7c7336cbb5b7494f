import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import ServerSupport
import Testing

@testable import Bridge

/// A WebSocket subscriber on NIO's `EmbeddedChannel`: the transport and its subscriber's
/// life without a network (refusals, close codes, heartbeats, join ordering, the upgrade
/// from polling).
final class EmbeddedSubscriber {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let hub: RoomHub
    let fanOut: LoopFanOut
    let dependencies: SubscriberDependencies

    init(settings: ConnectionSettings = ConnectionSettings(), hub: RoomHub? = nil) async throws {
        let metrics = BridgeMetrics()
        let hub = hub ?? RoomHub(limits: RoomLimits(), metrics: metrics)
        self.hub = hub
        channel = EmbeddedChannel(loop: loop)
        fanOut = LoopFanOut(eventLoop: loop, metrics: metrics)
        dependencies = SubscriberDependencies(
            hub: hub, readiness: Readiness(.ready),
            verifier: await DashboardTokenVerifier(secret: String(repeating: "k", count: 40)), settings: settings,
            cors: .none, metrics: metrics, logger: Logger(label: "test")
        )
        try channel.pipeline.syncOperations.addHandler(RawFrameOutlet())
    }

    func open(_ opening: Subscriber.Opening) throws {
        let subscriber = Subscriber(opening: opening, dependencies: dependencies, fanOut: fanOut)
        try channel.pipeline.syncOperations.addHandler(
            WebSocketTransport(start: .subscriber(subscriber), dependencies: dependencies, fanOut: fanOut))
    }

    /// A started polling session speaking Socket.IO, registered in `sessions`.
    func pollingSession(_ id: String, identity: DashboardIdentity?, sessions: PollingSessions) -> PollingTransport {
        let polling = PollingTransport(sessionID: id, eventLoop: loop, sessions: sessions, dependencies: dependencies)
        sessions.add(polling)
        polling.start(
            Subscriber(
                opening: .socketIO(identity: identity, upgrades: ["websocket"]), sessionID: id, tracksPositions: true,
                dependencies: dependencies, fanOut: fanOut
            ))
        return polling
    }

    func open(upgrading session: PollingTransport) throws {
        try channel.pipeline.syncOperations.addHandler(
            WebSocketTransport(start: .upgrade(session), dependencies: dependencies, fanOut: fanOut))
    }

    /// Every frame written so far, decoded.
    func written() throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { frames += try decodeFrames(buffer) }
        return frames
    }

    func texts() throws -> [String] {
        try written().filter { $0.opcode == .text }.map { String(buffer: $0.unmaskedData) }
    }

    func send(_ text: String) throws {
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        loop.run()
    }

    func closeCode(in frames: [WebSocketFrame]) -> UInt16? {
        guard var payload = frames.last(where: { $0.opcode == .connectionClose })?.unmaskedData else { return nil }
        return payload.readInteger(as: UInt16.self)
    }
}

@Suite("WebSocket transport")
struct WebSocketTransportTests {
    @Test("a plain subscriber gets its snapshot at once, then events of its room")
    func plainJoin() async throws {
        let embedded = try await EmbeddedSubscriber()
        try embedded.open(.plain(identity: .client("acme"), since: nil))
        let snapshot = try #require(try embedded.written().first)
        #expect(try json(snapshot)["type"] as? String == "snapshot")
        embedded.hub.publish([Events.consumed(Events.started("c1"), offset: 0)])
        embedded.hub.publish([Events.consumed(Events.started("g1", client: "globex"), offset: 1)])
        embedded.loop.run()
        let events = try embedded.written().map(json)
        #expect(events.map { ($0["event"] as? [String: Any])?["subject"] as? String } == ["c1"])
    }

    @Test("a fetched batch reaches the subscriber in order, each event once, other rooms' events left out")
    func batchPublish() async throws {
        let embedded = try await EmbeddedSubscriber()
        try embedded.open(.plain(identity: .client("acme"), since: nil))
        _ = try embedded.written()
        embedded.hub.publish([
            Events.consumed(Events.started("c1", id: "e1"), offset: 0),
            Events.consumed(Events.started("g1", client: "globex", id: "e2"), offset: 1),
            Events.consumed(Events.started("c2", id: "e3"), partition: 1, offset: 0),
            Events.consumed(Events.started("c1", id: "e1"), offset: 2),  // the same event again
            Events.consumed(Events.ended("c1", id: "e4"), offset: 3),
        ])
        embedded.loop.run()
        let events = try embedded.written().map(json).map { $0["event"] as? [String: Any] }
        #expect(events.map { $0?["id"] as? String } == ["e1", "e3", "e4"])
        #expect(embedded.hub.consumedOffsets == [0: 3, 1: 0], "every record counts as consumed, the duplicate too")
    }

    @Test("pings are answered, a client's close code is echoed")
    func controlFrames() async throws {
        let embedded = try await EmbeddedSubscriber()
        try embedded.open(.plain(identity: .admin, since: nil))
        _ = try embedded.written()
        try embedded.channel.writeInbound(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "hi")))
        let pong = try #require(try embedded.written().first)
        #expect(pong.opcode == .pong && String(buffer: pong.unmaskedData) == "hi")
        var close = ByteBuffer()
        close.writeInteger(UInt16(4000))
        try embedded.channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: close))
        #expect(embedded.closeCode(in: try embedded.written()) == 4000)
    }

    @Test("too big a message closes with 1009; more than the rate closes with 1008 after a rate_limited error")
    func limits() async throws {
        let big = try await EmbeddedSubscriber()
        try big.open(.plain(identity: .admin, since: nil))
        _ = try big.written()
        big.channel.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        #expect(big.closeCode(in: try big.written()) == 1009)

        var settings = ConnectionSettings()
        settings.clientMessagesPerSecond = 2
        let chatty = try await EmbeddedSubscriber(settings: settings)
        try chatty.open(.plain(identity: .admin, since: nil))
        _ = try chatty.written()
        for _ in 0..<5 { try chatty.send(#"{"type":"leave","room":"admin"}"#) }
        let frames = try chatty.written()
        #expect(frames.contains { $0.opcode == .text && String(buffer: $0.unmaskedData).contains("rate_limited") })
        #expect(chatty.closeCode(in: frames) == 1008)
    }

    @Test(
        "Socket.IO: the open packet first; CONNECT without a token is refused; a silent client is pinged, then closed")
    func socketIOHeartbeat() async throws {
        var settings = ConnectionSettings()
        settings.pingInterval = .seconds(2)
        settings.pingTimeout = .seconds(2)
        let embedded = try await EmbeddedSubscriber(settings: settings)
        try embedded.open(.socketIO(identity: .admin, upgrades: []))
        #expect(try embedded.texts().first?.hasPrefix(#"0{"sid":"#) == true)
        try embedded.send("40")
        let connected = try embedded.texts()
        #expect(connected.first?.hasPrefix(#"40{"sid":"#) == true && connected.first?.contains(#""pid":"#) == true)
        #expect(
            connected.dropFirst().first?.hasPrefix(#"42["calls:snapshot""#) == true,
            "the snapshot comes after the CONNECT answer")
        embedded.fanOut.startHeartbeat(tick: .seconds(1))
        embedded.loop.advanceTime(by: .seconds(3))
        #expect(try embedded.texts() == ["2"])
        embedded.loop.advanceTime(by: .seconds(3))
        #expect(!embedded.channel.isActive, "no pong within the ping timeout")

        let anonymous = try await EmbeddedSubscriber()
        try anonymous.open(.socketIO(identity: nil, upgrades: []))
        _ = try anonymous.written()
        try anonymous.send("40")
        #expect(try anonymous.texts().first?.hasPrefix("44") == true)
    }

    @Test("shutting down closes every subscriber with 1001")
    func shutdown() async throws {
        let embedded = try await EmbeddedSubscriber()
        try embedded.open(.plain(identity: .admin, since: nil))
        _ = try embedded.written()
        _ = embedded.fanOut.closeAll(code: 1001, reason: "server shutting down")
        embedded.loop.run()
        #expect(embedded.closeCode(in: try embedded.written()) == 1001)
    }

    @Test("an upgrade from polling: probe, noop for the pending poll, then the session continues with nothing lost")
    func upgradeFromPolling() async throws {
        let embedded = try await EmbeddedSubscriber()
        let sessions = PollingSessions()
        let polling = embedded.pollingSession("s1", identity: .client("acme"), sessions: sessions)
        let answered = NIOLockedValueBox<[String]>([])
        var answers: [String] { answered.withLockedValue { $0 } }
        let record: PollingTransport.Responder = { answer in
            if case .packets(let payload) = answer { answered.withLockedValue { $0.append(String(buffer: payload)) } }
        }
        polling.poll(record)
        #expect(polling.post([ByteBuffer(string: "40")]) == nil)
        polling.poll(record)
        #expect(answers.count == 2 && answers[1].contains(#"42["calls:snapshot""#))
        polling.poll(record)  // pending

        try embedded.open(upgrading: polling)
        try embedded.send("2probe")
        #expect(try embedded.texts() == ["3probe"])
        #expect(answers.last == "6", "the pending poll is released with a noop")
        embedded.hub.publish([Events.consumed(Events.started("during"), offset: 0)])  // while the client pauses polling
        embedded.loop.run()
        try embedded.send("5")
        embedded.hub.publish([Events.consumed(Events.started("after"), offset: 1)])
        embedded.loop.run()
        let calls = try embedded.texts().filter { $0.hasPrefix(#"42["call:started""#) }
        #expect(calls.count == 2 && calls[0].contains(#""during""#) && calls[1].contains(#""after""#), "\(calls)")
        let refused = NIOLockedValueBox<EngineIOError?>(nil)
        polling.poll { answer in if case .error(let error) = answer { refused.withLockedValue { $0 = error } } }
        #expect(refused.withLockedValue { $0 }?.code == 3, "polling an upgraded session is refused")
    }
}

extension WebSocketTransportTests {
    /// python-socketio sends its CONNECT right behind `5`, before the server has moved the
    /// session over: it was taken for a bad probe and the WebSocket closed with 1002.
    @Test(
        "an upgrade: a poll after the probe gets a noop; a CONNECT right behind `5` waits for the takeover and is answered"
    )
    func connectRightAfterUpgrade() async throws {
        let embedded = try await EmbeddedSubscriber()
        let sessions = PollingSessions()
        let polling = embedded.pollingSession("s2", identity: .client("acme"), sessions: sessions)
        polling.poll { _ in }  // the handshake's answer: the open packet
        try embedded.open(upgrading: polling)
        try embedded.send("2probe")
        #expect(try embedded.texts() == ["3probe"])
        // A GET arriving after the probe (its request raced the WebSocket's) is released at once too.
        let late = NIOLockedValueBox<String?>(nil)
        polling.poll { answer in
            if case .packets(let payload) = answer { late.withLockedValue { $0 = String(buffer: payload) } }
        }
        #expect(late.withLockedValue { $0 } == "6", "a poll during the upgrade gets a noop")
        // Both frames arrive before the session's loop runs the takeover.
        try embedded.channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "5")))
        try embedded.channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "40")))
        embedded.loop.run()
        let frames = try embedded.written()
        #expect(embedded.closeCode(in: frames) == nil, "closed with \(embedded.closeCode(in: frames) ?? 0)")
        let texts = frames.filter { $0.opcode == .text }.map { String(buffer: $0.unmaskedData) }
        #expect(
            texts.count == 2 && texts[0].hasPrefix(#"40{"sid":"#) && texts[1].hasPrefix(#"42["calls:snapshot""#),
            "\(texts)")
    }
}

@Suite("Polling and event-stream transports")
struct StreamTransportTests {
    @Test("polling: packets wait for a GET; two GETs at once close the session; a closed session is unknown")
    func polling() async throws {
        let embedded = try await EmbeddedSubscriber()
        let sessions = PollingSessions()
        let polling = embedded.pollingSession("s2", identity: nil, sessions: sessions)
        let answers = NIOLockedValueBox<[PollingTransport.PollAnswer]>([])
        let record: PollingTransport.Responder = { answer in answers.withLockedValue { $0.append(answer) } }
        polling.poll(record)  // the handshake's answer: the open packet
        guard case .packets(let open)? = answers.withLockedValue({ $0.first }) else {
            Issue.record("no open packet")
            return
        }
        #expect(String(buffer: open).hasPrefix(#"0{"sid":"s2","upgrades":["websocket"]"#))
        #expect(polling.post([ByteBuffer(string: "40")]) == nil)  // no token anywhere: refused
        polling.poll(record)
        guard case .packets(let refused)? = answers.withLockedValue({ $0.last }) else {
            Issue.record("no answer to the CONNECT")
            return
        }
        #expect(String(buffer: refused).hasPrefix("44"))
        polling.poll(record)  // waits
        polling.poll(record)  // a second one at once
        let errors = answers.withLockedValue { $0 }.compactMap { answer -> Int? in
            if case .error(let error) = answer { return error.code }
            return nil
        }
        #expect(errors == [3, 3], "both overlapping GETs are refused")
        #expect(sessions.session("s2") == nil, "and the session is closed")
        #expect(polling.post([ByteBuffer(string: "2")])?.code == 1)
    }

    @Test("SSE: a snapshot with the room's position as id first, then events, each after its id line, then heartbeats")
    func serverSentEvents() async throws {
        var settings = ConnectionSettings()
        settings.pingInterval = .seconds(2)
        let embedded = try await EmbeddedSubscriber(settings: settings)
        let subscriber = Subscriber(
            opening: .serverSentEvents(identity: .admin, rooms: [.client("acme")], since: [:]),
            dependencies: embedded.dependencies, fanOut: embedded.fanOut
        )
        try embedded.channel.pipeline.syncOperations.addHandler(
            ServerSentEventsTransport(
                subscriber: subscriber, dependencies: embedded.dependencies, fanOut: embedded.fanOut)
        )
        embedded.hub.publish([Events.consumed(Events.started("c1"), offset: 4)])
        embedded.loop.run()
        embedded.fanOut.startHeartbeat(tick: .seconds(1))
        embedded.loop.advanceTime(by: .seconds(3))
        var text = ""
        while let part = try embedded.channel.readOutbound(as: HTTPServerResponsePart.self) {
            if case .body(.byteBuffer(let buffer)) = part { text += String(buffer: buffer) }
        }
        let messages = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(messages.count == 3, "\(messages)")
        // One room: the id is its position; the data is the plain protocol's message.
        #expect(
            messages[0].hasPrefix(
                "id: \(RoomPosition().encoded)\nevent: snapshot\ndata: {\"type\":\"snapshot\",\"room\":\"client:acme\"")
        )
        #expect(
            messages[1].hasPrefix(
                "id: \(RoomPosition(offsets: [0: 4]).encoded)\nevent: call.started\ndata: {\"type\":\"event\""))
        #expect(messages[2] == ": heartbeat")
    }
}
