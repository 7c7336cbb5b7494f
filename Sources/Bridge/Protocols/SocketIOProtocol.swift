import CallEvents
import NIOCore
import WireFormats

/// Engine.IO v4 / Socket.IO v5, as much as a Socket.IO dashboard needs (contract,
/// "Socket.IO v4 compatibility"): the server's packets as complete WebSocket text frames
/// (a polling transport sends their payload), and the client's packets parsed.
///
/// Engine.IO packet types are one digit (`0` open, `1` close, `2` ping, `3` pong,
/// `4` message, `5` upgrade, `6` noop); a Socket.IO packet rides in a message (`40`
/// CONNECT, `41` DISCONNECT, `42` EVENT, `43` ACK, `44` CONNECT_ERROR), followed by an
/// optional `/namespace,` and JSON.
///
/// Connection-state recovery (Socket.IO 4.6+): the CONNECT answer carries a `pid`, and
/// every event and snapshot carries the room's position as its last argument, which the
/// client sends back as `offset` in its next CONNECT.
package enum SocketIOProtocol {
    struct OpenParameters {
        var sessionID: String
        /// `["websocket"]` when the session is on polling and may upgrade.
        var upgrades: [String]
        var pingInterval: TimeAmount
        var pingTimeout: TimeAmount
        var maximumPayload: Int
    }

    /// `0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}`.
    static func openFrame(_ parameters: OpenParameters) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString(#"0{"sid":"#)
            buffer.writeJSONString(parameters.sessionID)
            buffer.writeStaticString(#","upgrades":["#)
            for (index, upgrade) in parameters.upgrades.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeJSONString(upgrade)
            }
            buffer.writeStaticString(#"],"pingInterval":"#)
            buffer.writeJSONInteger(Int(parameters.pingInterval.nanoseconds / 1_000_000))
            buffer.writeStaticString(#","pingTimeout":"#)
            buffer.writeJSONInteger(Int(parameters.pingTimeout.nanoseconds / 1_000_000))
            buffer.writeStaticString(#","maxPayload":"#)
            buffer.writeJSONInteger(parameters.maximumPayload)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `40{"sid":…,"pid":…}`: CONNECT accepted. The client reports `recovered` when `pid`
    /// is the one it sent.
    static func connectedFrame(socketID: String, recoveryID: String) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString(#"40{"sid":"#)
            buffer.writeJSONString(socketID)
            buffer.writeStaticString(#","pid":"#)
            buffer.writeJSONString(recoveryID)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `6`: noop, which ends a pending poll while the client upgrades.
    static func noopFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeInteger(UInt8(ascii: "6")) }
    }

    /// `3probe`: the answer to an upgrading client's `2probe`.
    static func probeAnswerFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeStaticString("3probe") }
    }

    /// `1`: the server closes the Engine.IO session.
    static func closeFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeInteger(UInt8(ascii: "1")) }
    }

    /// `44{"message":…}` (or `44/ns,{"message":…}`): CONNECT refused.
    static func connectErrorFrame(message: String, namespace: String = "/") -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString("44")
            writeNamespacePrefix(namespace, into: &buffer)
            buffer.writeStaticString(#"{"message":"#)
            buffer.writeJSONString(message)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    static func pingFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeInteger(UInt8(ascii: "2")) }
    }

    static func pongFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeInteger(UInt8(ascii: "3")) }
    }

    /// `42["call:started",{…},"<position>"]` or `42["call:ended",{…},"<position>"]`: the
    /// event's `data`, plus `timestamp` (the event's time) and `eventId`, then the room's
    /// position after it (the recovery offset).
    package static func eventFrame(_ event: CallEvent, position: String) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: 480 + position.utf8.count) { buffer in
            switch event.type {
            case .started: buffer.writeStaticString(#"42["call:started",{"#)
            case .ended: buffer.writeStaticString(#"42["call:ended",{"#)
            }
            event.data.encodeMembers(into: &buffer)
            buffer.writeStaticString(#","timestamp":""#)
            RFC3339Timestamp.write(event.time, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
            buffer.writeStaticString(#","eventId":"#)
            buffer.writeJSONString(event.id)
            buffer.writeStaticString("},")
            buffer.writeJSONString(position)
            buffer.writeInteger(UInt8(ascii: "]"))
        }
    }

    /// `42["calls:snapshot",{"room":…,"activeCalls":[…],"recentCalls":[…]},"<position>"]`.
    static func snapshotFrame(room: RoomName, calls: RoomCalls, position: String) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: 512 + 400 * (calls.active.count + calls.recentCount)) { buffer in
            buffer.writeStaticString(#"42["calls:snapshot",{"room":"#)
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","activeCalls":"#)
            PlainProtocol.writeCalls(calls.activeNewestFirst, into: &buffer)
            buffer.writeStaticString(#","recentCalls":"#)
            PlainProtocol.writeCalls(calls.recent, into: &buffer)
            buffer.writeStaticString("},")
            buffer.writeJSONString(position)
            buffer.writeInteger(UInt8(ascii: "]"))
        }
    }

    /// What a client's text frame says.
    enum ClientPacket: Equatable {
        /// Engine.IO pong (the answer to our ping).
        case pong
        /// Engine.IO ping (Engine.IO v3 clients ping; v4 servers do, but answering is harmless).
        case ping
        /// Engine.IO close.
        case close
        /// Engine.IO noop (sent by clients while upgrading).
        case noop
        /// Engine.IO upgrade: valid only on a WebSocket that probed.
        case upgrade
        /// Socket.IO CONNECT to `namespace`, with the auth payload's `token`, and the `pid`
        /// and `offset` of a client recovering its connection state, if any.
        case connect(namespace: String, auth: ConnectAuth)
        /// Socket.IO DISCONNECT.
        case disconnect
        /// A client emit (EVENT or BINARY_EVENT): not part of this API, so ignored, except
        /// that one asking for an acknowledgement (`emitWithAck`) gets an empty one.
        case event(namespace: String, ackID: UInt64?)
        /// Any other Socket.IO packet (an ack of ours, which we never ask for): ignored.
        case other
        /// Not an Engine.IO packet.
        case malformed(String)
    }

    /// The strings of a CONNECT's auth payload the server reads.
    struct ConnectAuth: Equatable {
        var token: String?
        var recoveryID: String?
        var offset: String?
    }

    static func parse(_ text: ByteBuffer) -> ClientPacket {
        let bytes = text.readableBytesView
        guard let type = bytes.first else { return .malformed("empty packet") }
        switch type {
        case UInt8(ascii: "1"): return .close
        case UInt8(ascii: "2"): return .ping
        case UInt8(ascii: "3"): return .pong
        case UInt8(ascii: "5"): return .upgrade
        case UInt8(ascii: "6"): return .noop
        case UInt8(ascii: "4"): break
        default: return .malformed("unknown Engine.IO packet type")
        }
        var rest = Substring(decoding: bytes.dropFirst(), as: UTF8.self)
        guard let socketType = rest.first else { return .malformed("empty message") }
        rest = rest.dropFirst()
        switch socketType {
        case "0":
            var namespace = "/"
            if rest.first == "/" {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                namespace = String(rest[..<end])
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            }
            guard !rest.isEmpty else { return .connect(namespace: namespace, auth: ConnectAuth()) }
            guard case .object(let auth)? = try? JSONValue(parsing: ByteBuffer(substring: rest)) else {
                return .malformed("CONNECT payload is not a JSON object")
            }
            func string(_ key: String) -> String? {
                if case .string(let value)? = auth[key] { return value }
                return nil
            }
            return .connect(
                namespace: namespace,
                auth: ConnectAuth(token: string("token"), recoveryID: string("pid"), offset: string("offset")))
        case "1":
            return .disconnect
        case "2", "5":
            if socketType == "5" {
                // BINARY_EVENT: the attachment count and '-' come first.
                guard let dash = rest.firstIndex(of: "-"), rest[..<dash].allSatisfy(\.isASCIIDigit) else {
                    return .malformed("BINARY_EVENT without its attachment count")
                }
                rest = rest[rest.index(after: dash)...]
            }
            var namespace = "/"
            if rest.first == "/" {
                guard let comma = rest.firstIndex(of: ",") else { return .malformed("namespace without ','") }
                namespace = String(rest[..<comma])
                rest = rest[rest.index(after: comma)...]
            }
            let digits = rest.prefix { $0.isASCIIDigit }
            guard !digits.isEmpty else { return .event(namespace: namespace, ackID: nil) }
            guard digits.count <= 18, let ackID = UInt64(digits) else {
                return .malformed("acknowledgement id out of range")
            }
            return .event(namespace: namespace, ackID: ackID)
        default:
            return .other
        }
    }

    /// `43<id>[]` (or `43/ns,<id>[]`): an empty acknowledgement of a client's emit.
    static func emptyAckFrame(namespace: String, ackID: UInt64) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString("43")
            writeNamespacePrefix(namespace, into: &buffer)
            buffer.writeString(String(ackID))
            buffer.writeStaticString("[]")
        }
    }

    /// `/ns,` before a packet's payload; nothing for the main namespace `/`.
    private static func writeNamespacePrefix(_ namespace: String, into buffer: inout ByteBuffer) {
        guard namespace != "/" else { return }
        buffer.writeString(namespace)
        buffer.writeInteger(UInt8(ascii: ","))
    }

    /// `41`: the server disconnects the socket (the client reports "io server disconnect"
    /// and does not reconnect on its own).
    static func disconnectFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeStaticString("41") }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
