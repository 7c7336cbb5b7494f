import CallEvents
import NIOCore

/// Server-Sent Events (`GET /events`, `text/event-stream`): each message is
/// `id: <stream position>`, `event: snapshot|call.started|call.ended` and one `data:` line of
/// JSON. Messages are built as WebSocket text frames like every protocol's (the stream
/// transport sends their payload), the event part once per room; the `id:` line is the
/// subscriber's own, since it names the position of every room of its stream.
///
/// The id is `<room>~<position>` per room, joined by `,`: a browser's `EventSource` sends the
/// last one back as `Last-Event-ID` when it reconnects, and each room resumes from its part.
enum ServerSentEventsProtocol {
    /// `event: call.started` (or `call.ended`) and `data: {"room":…,"event":<the CloudEvent as on Kafka>}`.
    static func eventFrame(room: RoomName, event: CallEvent, cloudEvent: ByteBuffer) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: cloudEvent.readableBytes + 80) { buffer in
            switch event.type {
            case .started: buffer.writeStaticString("event: call.started\ndata: {\"room\":")
            case .ended: buffer.writeStaticString("event: call.ended\ndata: {\"room\":")
            }
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","event":"#)
            // A data line ends at a newline; in valid JSON a newline can only be whitespace.
            if cloudEvent.readableBytesView.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                buffer.writeBytes(cloudEvent.readableBytesView.map { $0 == 0x0A || $0 == 0x0D ? UInt8(ascii: " ") : $0 })
            } else {
                buffer.writeImmutableBuffer(cloudEvent)
            }
            buffer.writeStaticString("}\n\n")
        }
    }

    /// `event: snapshot` and `data: {"room":…,"activeCalls":[…],"recentCalls":[…]}`, with
    /// `"recovered":false` when it answers a `Last-Event-ID` that could not be honoured.
    static func snapshotFrame(room: RoomName, calls: RoomCalls, recovered: Bool?) -> ByteBuffer {
        WebSocketFrameBuilder.text(capacity: 512 + 400 * (calls.active.count + calls.recentCount)) { buffer in
            buffer.writeStaticString("event: snapshot\ndata: {\"room\":")
            buffer.writeJSONString(room.description)
            buffer.writeStaticString(#","activeCalls":"#)
            PlainProtocol.writeCalls(calls.activeNewestFirst, into: &buffer)
            buffer.writeStaticString(#","recentCalls":"#)
            PlainProtocol.writeCalls(calls.recent, into: &buffer)
            if recovered == false { buffer.writeStaticString(#","recovered":false"#) }
            buffer.writeStaticString("}\n\n")
        }
    }

    /// `id: <room>~<position>,…` for the rooms' positions, in room order.
    static func idFrame(_ positions: [RoomName: String]) -> ByteBuffer {
        WebSocketFrameBuilder.text { buffer in
            buffer.writeStaticString("id: ")
            buffer.writeString(encodedID(positions))
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func encodedID(_ positions: [RoomName: String]) -> String {
        positions.sorted { $0.key.description < $1.key.description }.map { "\($0.key)~\($0.value)" }.joined(separator: ",")
    }

    /// A comment line: keeps proxies from closing an idle stream.
    static func heartbeatFrame() -> ByteBuffer {
        WebSocketFrameBuilder.text { $0.writeStaticString(": heartbeat\n\n") }
    }

    /// Longest accepted `Last-Event-ID`.
    static let maximumIDLength = 64 * 1024

    /// The rooms' positions in a `Last-Event-ID`; nil when it is not an id this server issued.
    static func positions(inID text: String) -> [RoomName: RoomPosition]? {
        guard !text.isEmpty, text.utf8.count <= maximumIDLength else { return nil }
        var positions: [RoomName: RoomPosition] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "~", maxSplits: 1)
            guard pair.count == 2, let room = RoomName(parsing: String(pair[0])), let position = RoomPosition(encoded: String(pair[1])),
                  positions[room] == nil
            else { return nil }
            positions[room] = position
        }
        return positions
    }
}
