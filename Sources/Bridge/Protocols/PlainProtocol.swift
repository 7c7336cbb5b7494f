import CallEvents
import NIOCore
import WireFormats

/// The plain JSON protocol of `GET /ws` (contract, "Plain JSON protocol"): the server's
/// messages as complete WebSocket text frames, and the client's messages parsed.
package enum PlainProtocol {
    /// `{"type":"event","room":…,"position":…,"event":<the CloudEvent as on Kafka>}`.
    /// The event's bytes are copied as they came from Kafka (they were validated when decoded).
    package static func eventFrame(room: RoomName, position: String, cloudEvent: ByteBuffer) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: cloudEvent.readableBytes + 96) { buffer in
            buffer.writeStaticString(#"{"type":"event","room":"#)
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","position":"#)
            buffer.writeJSONString(position)
            buffer.writeStaticString(#","event":"#)
            buffer.writeImmutableBuffer(cloudEvent)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `{"type":"snapshot","room":…,"activeCalls":[…],"recentCalls":[…],"position":…}`, with
    /// `"recovered":false` when it answers a `since` that could not be honoured.
    static func snapshotFrame(room: RoomName, calls: RoomCalls, position: String, recovered: Bool?) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: 512 + 400 * (calls.active.count + calls.recentCount)) { buffer in
            buffer.writeStaticString(#"{"type":"snapshot","room":"#)
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","activeCalls":"#)
            writeCalls(calls.activeNewestFirst, into: &buffer)
            buffer.writeStaticString(#","recentCalls":"#)
            writeCalls(calls.recent, into: &buffer)
            buffer.writeStaticString(#","position":"#)
            buffer.writeJSONString(position)
            if let recovered {
                buffer.writeStaticString(recovered ? #","recovered":true"# : #","recovered":false"#)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `{"type":"resumed","room":…,"position":…,"replayed":N}`: the replay after a `since` is complete.
    static func resumedFrame(room: RoomName, position: String, replayed: Int) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString(#"{"type":"resumed","room":"#)
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","position":"#)
            buffer.writeJSONString(position)
            buffer.writeStaticString(#","replayed":"#)
            buffer.writeJSONInteger(replayed)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `{"type":"left","room":…}`.
    static func leftFrame(room: RoomName) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString(#"{"type":"left","room":"#)
            buffer.writeJSONString(room.description)
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// `{"type":"error","code":…,"message":…}`, with the room when the error concerns one.
    static func errorFrame(_ error: PlainProtocolError) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString(#"{"type":"error","code":"#)
            buffer.writeJSONString(error.code.rawValue)
            buffer.writeStaticString(#","message":"#)
            buffer.writeJSONString(error.message)
            if let room = error.room {
                buffer.writeStaticString(#","room":"#)
                buffer.writeJSONString(room)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    static func writeCalls(_ calls: [CallDetails], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, call) in calls.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            call.encode(into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// A message from the client.
    enum ClientMessage: Equatable {
        case join(room: RoomName, since: RoomPosition?)
        case leave(room: RoomName)
    }

    /// Parses a client text message. Errors say what was wrong, in the protocol's terms.
    static func parse(_ text: ByteBuffer) -> Result<ClientMessage, PlainProtocolError> {
        guard case .object(let object)? = try? JSONValue(parsing: text) else {
            return .failure(PlainProtocolError(.badRequest, "a message must be a JSON object"))
        }
        guard case .string(let type)? = object["type"] else {
            return .failure(PlainProtocolError(.badRequest, "a message needs a string \"type\""))
        }
        guard type == "join" || type == "leave" else {
            return .failure(
                PlainProtocolError(.badRequest, "unknown message type \"\(type.prefix(64))\" (expected join or leave)"))
        }
        guard case .string(let roomText)? = object["room"] else {
            return .failure(PlainProtocolError(.badRequest, "\(type) needs a string \"room\""))
        }
        guard let room = RoomName(parsing: roomText) else {
            return .failure(
                PlainProtocolError(
                    .unknownRoom,
                    "no room \"\(roomText.prefix(64))\": rooms are admin and client:{clientId}, a clientId being \(ClientID.rule)",
                    room: String(roomText.prefix(300))
                ))
        }
        if type == "leave" { return .success(.leave(room: room)) }
        switch object["since"] {
        case nil, .null?:
            return .success(.join(room: room, since: nil))
        case .string(let text)?:
            guard let position = RoomPosition(encoded: text) else {
                return .failure(
                    PlainProtocolError(
                        .badRequest, "\"since\" is not a position this server issued", room: room.description))
            }
            return .success(.join(room: room, since: position))
        default:
            return .failure(
                PlainProtocolError(.badRequest, "\"since\" must be a position string or null", room: room.description))
        }
    }
}

/// An `error` message of the plain protocol.
struct PlainProtocolError: Error, Equatable {
    enum Code: String {
        case forbidden
        case badRequest = "bad_request"
        case unknownRoom = "unknown_room"
        case rateLimited = "rate_limited"
    }

    var code: Code
    var message: String
    var room: String?

    init(_ code: Code, _ message: String, room: String? = nil) {
        self.code = code
        self.message = message
        self.room = room
    }
}
