import NIOCore

extension CallDetails {
    /// Appends the details as a compact JSON object to `buffer`, in the format of an
    /// event's `data` (see ``CallEvent/encode(into:)``).
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "{"))
        encodeMembers(into: &buffer)
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// Appends the object's members without the braces (`"callId":"…","clientId":…`), so a
    /// caller can add members of its own to the same object.
    public func encodeMembers(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#""callId":"#)
        buffer.writeJSONString(callId)
        buffer.writeStaticString(#","clientId":"#)
        buffer.writeJSONString(clientId)
        buffer.writeStaticString(#","provider":"#)
        buffer.writeJSONString(provider)
        if let direction {
            buffer.writeStaticString(#","direction":"#)
            buffer.writeJSONString(direction)
        }
        if let from {
            buffer.writeStaticString(#","from":"#)
            buffer.writeJSONString(from)
        }
        if let to {
            buffer.writeStaticString(#","to":"#)
            buffer.writeJSONString(to)
        }
        if let callerHash {
            buffer.writeStaticString(#","callerHash":"#)
            buffer.writeJSONString(callerHash)
        }
        if let startedAt {
            buffer.writeStaticString(#","startedAt":""#)
            Timestamp.write(startedAt, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        if let endedAt {
            buffer.writeStaticString(#","endedAt":""#)
            Timestamp.write(endedAt, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        if let durationSeconds {
            buffer.writeStaticString(#","durationSeconds":"#)
            buffer.writeJSONInteger(durationSeconds)
        }
        if let endReason {
            buffer.writeStaticString(#","endReason":"#)
            buffer.writeJSONString(endReason)
        }
    }
}
