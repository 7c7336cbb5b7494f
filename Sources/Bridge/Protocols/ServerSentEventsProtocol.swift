import CallEvents
import NIOCore

/// Server-Sent Events (`GET /events`, `text/event-stream`): each message is `id:`, `event:
/// snapshot|call.started|call.ended` and one `data:` line, the JSON of the plain protocol's
/// message (contract, "Server-Sent Events"). Messages are built as WebSocket text frames like
/// every protocol's (the stream transport sends their payload), from the plain protocol's
/// frame of the room, so an event is encoded once for both; the `id:` line is the
/// subscriber's own, since it names the position of every room of its stream.
///
/// The id is the room's position for a stream of one room; for several, `<room>~<position>`
/// per room joined by `,`. A browser's `EventSource` sends the last one back as
/// `Last-Event-ID` when it reconnects, and each room resumes from its position.
enum ServerSentEventsProtocol {
    /// `event: call.started` (or `call.ended`) and `data:` the plain protocol's `event` message.
    static func eventFrame(_ type: CallEventType, plainFrame: ByteBuffer) -> ByteBuffer {
        message(type == .started ? "call.started" : "call.ended", plainFrame: plainFrame)
    }

    /// `event: snapshot` and `data:` the plain protocol's `snapshot` message.
    static func snapshotFrame(plainFrame: ByteBuffer) -> ByteBuffer {
        message("snapshot", plainFrame: plainFrame)
    }

    private static func message(_ event: StaticString, plainFrame: ByteBuffer) -> ByteBuffer {
        let json = WebSocketFrameBuilder.payload(of: plainFrame)
        return WebSocketFrameBuilder.text(capacity: json.readableBytes + 32) { buffer in
            buffer.writeStaticString("event: ")
            buffer.writeStaticString(event)
            buffer.writeStaticString("\ndata: ")
            // A data line ends at a newline; in valid JSON a newline can only be whitespace
            // (a CloudEvent from another producer may be pretty-printed).
            if json.readableBytesView.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                buffer.writeBytes(json.readableBytesView.map { $0 == 0x0A || $0 == 0x0D ? UInt8(ascii: " ") : $0 })
            } else {
                buffer.writeImmutableBuffer(json)
            }
            buffer.writeStaticString("\n\n")
        }
    }

    /// `id: <position>` for one room, else `id: <room>~<position>,…` in room order.
    static func idFrame(_ positions: [RoomName: String]) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString("id: ")
            buffer.writeString(encodedID(positions))
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func encodedID(_ positions: [RoomName: String]) -> String {
        if positions.count == 1, let only = positions.first { return only.value }
        return positions.sorted { $0.key.description < $1.key.description }.map { "\($0.key)~\($0.value)" }.joined(
            separator: ",")
    }

    /// A comment line: keeps proxies from closing an idle stream.
    static func heartbeatFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeStaticString(": heartbeat\n\n") }
    }

    /// Longest accepted `Last-Event-ID`.
    static let maximumIDLength = 64 * 1024

    /// The positions of `rooms` in a `Last-Event-ID`; nil when it is not an id this server
    /// issued for them.
    static func positions(inID text: String, rooms: [RoomName]) -> [RoomName: RoomPosition]? {
        guard !text.isEmpty, text.utf8.count <= maximumIDLength else { return nil }
        if !text.contains("~") {
            guard rooms.count == 1, let position = RoomPosition(encoded: text) else { return nil }
            return [rooms[0]: position]
        }
        var positions: [RoomName: RoomPosition] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "~", maxSplits: 1)
            guard pair.count == 2, let room = RoomName(parsing: String(pair[0])),
                let position = RoomPosition(encoded: String(pair[1])),
                positions[room] == nil
            else { return nil }
            positions[room] = position
        }
        return positions
    }
}
