import CallEvents
import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import Bridge

/// Decodes server frames with NIO's own decoder: an independent check of our encoding.
func decodeFrames(_ buffer: ByteBuffer) throws -> [WebSocketFrame] {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)))
    try channel.writeInbound(buffer)
    var frames: [WebSocketFrame] = []
    while let frame = try channel.readInbound(as: WebSocketFrame.self) { frames.append(frame) }
    _ = try channel.finish()
    return frames
}

func json(_ frame: WebSocketFrame) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(frame.unmaskedData.readableBytesView)) as? [String: Any])
}

@Suite("WebSocket frames")
struct WebSocketFrameTests {
    @Test(
        "text frames of every length class decode with NIO's decoder",
        arguments: [0, 1, 125, 126, 65_535, 65_536, 200_000])
    func lengths(_ length: Int) throws {
        let frame = WebSocketFrameBuilder.text { $0.writeRepeatingByte(UInt8(ascii: "x"), count: length) }
        let decoded = try decodeFrames(frame)
        #expect(decoded.count == 1)
        #expect(decoded[0].fin)
        #expect(decoded[0].opcode == .text)
        #expect(decoded[0].maskKey == nil)
        #expect(decoded[0].data.readableBytes == length)
    }

    @Test("close frames carry the code and a reason cut to the control-frame limit")
    func close() throws {
        let frame = try #require(
            try decodeFrames(WebSocketFrameBuilder.close(code: 4008, reason: String(repeating: "é", count: 100))).first)
        #expect(frame.opcode == .connectionClose)
        var data = frame.data
        #expect(data.readInteger(as: UInt16.self) == 4008)
        #expect(frame.data.readableBytes <= 125)
        #expect(data.readString(length: data.readableBytes) != nil)  // still valid UTF-8
    }

    @Test("a pong echoes the ping's payload")
    func pong() throws {
        let frame = try #require(try decodeFrames(WebSocketFrameBuilder.pong(echoing: ByteBuffer(string: "hi"))).first)
        #expect(frame.opcode == .pong)
        #expect(String(buffer: frame.data) == "hi")
    }
}

@Suite("Plain protocol")
struct PlainProtocolTests {
    @Test("an event frame embeds the CloudEvent as it was on Kafka")
    func eventFrame() throws {
        let event = Events.started("c1")
        let frame = try #require(
            try decodeFrames(
                PlainProtocol.eventFrame(room: .client("acme"), position: "AQ", cloudEvent: event.encoded())
            ).first)
        let object = try json(frame)
        #expect(object["type"] as? String == "event")
        #expect(object["room"] as? String == "client:acme")
        #expect(object["position"] as? String == "AQ")
        let cloudEvent = try #require(object["event"] as? [String: Any])
        #expect(cloudEvent["id"] as? String == "s-c1")
        #expect((cloudEvent["data"] as? [String: Any])?["from"] as? String == "***4321")
    }

    @Test("a snapshot lists active and recent calls and says when a resume was not possible")
    func snapshot() throws {
        var calls = RoomCalls()
        calls.apply(Events.started("a"))
        calls.apply(Events.ended("b"))
        let object = try json(
            try #require(
                try decodeFrames(
                    PlainProtocol.snapshotFrame(room: .admin, calls: calls, position: "AQ", recovered: false)
                ).first))
        #expect(object["type"] as? String == "snapshot")
        #expect((object["activeCalls"] as? [[String: Any]])?.map { $0["callId"] as? String } == ["a"])
        #expect((object["recentCalls"] as? [[String: Any]])?.map { $0["callId"] as? String } == ["b"])
        #expect(object["recovered"] as? Bool == false)
        let plain = try json(
            try #require(
                try decodeFrames(
                    PlainProtocol.snapshotFrame(room: .admin, calls: calls, position: "AQ", recovered: nil)
                ).first))
        #expect(plain["recovered"] == nil)
    }

    @Test("join and leave parse")
    func parseGood() {
        let position = RoomPosition(offsets: [2: 7])
        #expect(
            PlainProtocol.parse(ByteBuffer(string: #"{"type":"join","room":"admin"}"#))
                == .success(.join(room: .admin, since: nil)))
        #expect(
            PlainProtocol.parse(ByteBuffer(string: #"{"type":"join","room":"admin","since":null}"#))
                == .success(.join(room: .admin, since: nil)))
        #expect(
            PlainProtocol.parse(
                ByteBuffer(string: #"{"type":"join","room":"client:acme","since":"\#(position.encoded)"}"#))
                == .success(.join(room: .client("acme"), since: position)))
        #expect(
            PlainProtocol.parse(ByteBuffer(string: #"{"type":"leave","room":"client:x"}"#))
                == .success(.leave(room: .client("x"))))
    }

    @Test(
        "bad messages get the protocol's error codes",
        arguments: [
            ("not json", PlainProtocolError.Code.badRequest),
            ("[1,2]", .badRequest),
            (#"{"room":"admin"}"#, .badRequest),
            (#"{"type":"subscribe","room":"admin"}"#, .badRequest),
            (#"{"type":"join"}"#, .badRequest),
            (#"{"type":"join","room":7}"#, .badRequest),
            (#"{"type":"join","room":"lobby"}"#, .unknownRoom),
            (#"{"type":"join","room":"client:\u212Acme"}"#, .unknownRoom),
            (#"{"type":"leave","room":"client:../admin"}"#, .unknownRoom),
            (#"{"type":"join","room":"client:acme","room":"admin"}"#, .badRequest),
            (#"{"type":"join","room":"admin","since":"%%%"}"#, .badRequest),
            (#"{"type":"join","room":"admin","since":12}"#, .badRequest),
        ])
    func parseBad(_ text: String, _ code: PlainProtocolError.Code) {
        guard case .failure(let error) = PlainProtocol.parse(ByteBuffer(string: text)) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
    }
}

@Suite("Socket.IO protocol")
struct SocketIOProtocolTests {
    @Test(
        "client packets parse",
        arguments: [
            ("3", SocketIOProtocol.ClientPacket.pong),
            ("2", .ping),
            ("1", .close),
            ("5", .upgrade),
            ("6", .noop),
            ("40", .connect(namespace: "/", auth: .init())),
            (#"40{"token":"abc"}"#, .connect(namespace: "/", auth: .init(token: "abc"))),
            (
                #"40{"token":"abc","pid":"p1","offset":"o1"}"#,
                .connect(namespace: "/", auth: .init(token: "abc", recoveryID: "p1", offset: "o1"))
            ),
            (#"40{"token":7,"pid":null}"#, .connect(namespace: "/", auth: .init())),
            (#"40/admin,{"token":"abc"}"#, .connect(namespace: "/admin", auth: .init(token: "abc"))),
            ("40/admin,", .connect(namespace: "/admin", auth: .init())),
            ("41", .disconnect),
            (#"42["hello",1]"#, .event(namespace: "/", ackID: nil)),
            (#"4212["hello"]"#, .event(namespace: "/", ackID: 12)),
            (#"42/admin,7["hello"]"#, .event(namespace: "/admin", ackID: 7)),
            (#"451-0[{"_placeholder":true,"num":0}]"#, .event(namespace: "/", ackID: 0)),
            (#"451-["x",{"_placeholder":true,"num":0}]"#, .event(namespace: "/", ackID: nil)),
            ("43", .other),
        ])
    func parse(_ text: String, _ expected: SocketIOProtocol.ClientPacket) {
        #expect(SocketIOProtocol.parse(ByteBuffer(string: text)) == expected)
    }

    @Test(
        "garbage is malformed", arguments: ["", "9", "4", "40{not json", "45[", "42/admin", "421234567890123456789[]"])
    func malformed(_ text: String) {
        guard case .malformed = SocketIOProtocol.parse(ByteBuffer(string: text)) else {
            Issue.record("\(text) was not malformed")
            return
        }
    }

    @Test("an emit asking for an acknowledgement gets an empty one, in its namespace")
    func emptyAck() throws {
        let root = try #require(try decodeFrames(SocketIOProtocol.emptyAckFrame(namespace: "/", ackID: 12)).first)
        #expect(String(buffer: root.data) == "4312[]")
        let other = try #require(try decodeFrames(SocketIOProtocol.emptyAckFrame(namespace: "/admin", ackID: 0)).first)
        #expect(String(buffer: other.data) == "43/admin,0[]")
    }

    @Test("events are 42 packets with the data, timestamp and event id, then the room's position")
    func eventPacket() throws {
        let frame = try #require(
            try decodeFrames(SocketIOProtocol.eventFrame(Events.ended("c1"), position: "AgAB")).first)
        let text = String(buffer: frame.data)
        #expect(text.hasPrefix(#"42["call:ended",{"#))
        let array = try #require(JSONSerialization.jsonObject(with: Data(text.dropFirst(2).utf8)) as? [Any])
        let payload = try #require(array[1] as? [String: Any])
        #expect(payload["callId"] as? String == "c1")
        #expect(payload["clientId"] as? String == "acme")
        #expect(payload["eventId"] as? String == "e-c1")
        #expect(payload["timestamp"] as? String == "2026-09-21T14:14:20.000Z")
        #expect(array.count == 3 && array[2] as? String == "AgAB", "the recovery offset is the last argument")
    }

    @Test("CONNECT's answer carries the socket id and the recovery id")
    func connected() throws {
        let frame = try #require(
            try decodeFrames(SocketIOProtocol.connectedFrame(socketID: "s1", recoveryID: "p1")).first)
        #expect(String(buffer: frame.data) == #"40{"sid":"s1","pid":"p1"}"#)
    }

    @Test("a polling transport sends a frame's payload, whatever its header length", arguments: [0, 125, 126, 70_000])
    func payloadOfFrame(_ length: Int) throws {
        let text = String(repeating: "x", count: length)
        let frame = WebSocketFrameBuilder.text { $0.writeString(text) }
        #expect(String(buffer: WebSocketFrameBuilder.payload(of: frame)) == text)
    }

    @Test("the open packet announces the heartbeat in milliseconds")
    func openPacket() throws {
        let frame = try #require(
            try decodeFrames(
                SocketIOProtocol.openFrame(
                    .init(
                        sessionID: "sid1", upgrades: [], pingInterval: .seconds(25), pingTimeout: .seconds(20),
                        maximumPayload: 4096
                    ))
            ).first)
        let text = String(buffer: frame.data)
        #expect(text.first == "0")
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.dropFirst().utf8)) as? [String: Any])
        #expect(object["pingInterval"] as? Int == 25_000)
        #expect(object["pingTimeout"] as? Int == 20_000)
        #expect(object["upgrades"] as? [String] == [])
        let polling = try #require(
            try decodeFrames(
                SocketIOProtocol.openFrame(
                    .init(
                        sessionID: "sid1", upgrades: ["websocket"], pingInterval: .seconds(25),
                        pingTimeout: .seconds(20), maximumPayload: 4096
                    ))
            ).first)
        #expect(String(buffer: polling.data).contains(#""upgrades":["websocket"]"#))
    }
}

@Suite("Request targets and rate limits")
struct RequestTargetTests {
    @Test("query parameters are percent-decoded; the first occurrence wins")
    func query() {
        let target = RequestTarget("/ws?token=a%2Eb.c&since=AQ&token=other&flag")
        #expect(target.path == "/ws")
        #expect(target.query["token"] == "a.b.c")
        #expect(target.query["since"] == "AQ")
        #expect(target.query["flag"] == "")
        #expect(RequestTarget("/socket.io/?EIO=4&transport=websocket").query["EIO"] == "4")
    }

    @Test("a malformed escape spoils only itself; a fragment is neither path nor query")
    func malformedEscapesAndFragments() {
        // Decoded as every form decoder decodes (WireFormats): the valid escape still counts.
        #expect(RequestTarget("/ws?token=a%2Eb%ZZ").query["token"] == "a.b%ZZ")
        #expect(RequestTarget("/ws?since=AQ#x").query["since"] == "AQ")
        #expect(RequestTarget("/ws#x?token=t").path == "/ws")
        #expect(RequestTarget("/ws#x?token=t").query["token"] == nil)
    }

    @Test("the rate limiter allows bursts of twice the rate, then the rate")
    func rateLimit() {
        let start = NIODeadline.now()
        var limiter = ClientMessageRateLimiter(messagesPerSecond: 5, now: start)
        let allowed = (0..<20).filter { _ in limiter.allow(now: start) }.count
        #expect(allowed == 10)
        let refilled = limiter.allow(now: start + .milliseconds(200))  // one token back after 1/5 s
        let overRate = limiter.allow(now: start + .milliseconds(200))
        #expect(refilled)
        #expect(!overRate)
    }
}
