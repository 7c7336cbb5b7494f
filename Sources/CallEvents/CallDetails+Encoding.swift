import Foundation
import NIOCore
import WireFormats

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
        buffer.writeOptionalMember(#","direction":"#, direction)
        buffer.writeOptionalMember(#","from":"#, from)
        buffer.writeOptionalMember(#","to":"#, to)
        buffer.writeOptionalMember(#","callerHash":"#, callerHash)
        buffer.writeOptionalMember(#","startedAt":"#, startedAt)
        buffer.writeOptionalMember(#","endedAt":"#, endedAt)
        if let durationSeconds {
            buffer.writeStaticString(#","durationSeconds":"#)
            buffer.writeJSONInteger(durationSeconds)
        }
        buffer.writeOptionalMember(#","endReason":"#, endReason)
    }
}

extension ByteBuffer {
    /// `member` (the `,"name":` before a value) and `value` as a JSON string, when present.
    fileprivate mutating func writeOptionalMember(_ member: StaticString, _ value: String?) {
        guard let value else { return }
        writeStaticString(member)
        writeJSONString(value)
    }

    /// `member` and `value` as a quoted RFC 3339 timestamp, when present.
    fileprivate mutating func writeOptionalMember(_ member: StaticString, _ value: Date?) {
        guard let value else { return }
        writeStaticString(member)
        writeInteger(UInt8(ascii: "\""))
        RFC3339Timestamp.write(value, into: &self)
        writeInteger(UInt8(ascii: "\""))
    }
}
