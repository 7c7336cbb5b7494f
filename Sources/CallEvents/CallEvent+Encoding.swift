import NIOCore
import WireFormats

extension CallEvent {
    /// The event as compact CloudEvents structured-mode JSON, ready to be a Kafka record value.
    ///
    /// See ``encode(into:)`` for the exact format.
    public func encoded() -> ByteBuffer {
        // Room for the fixed keys plus typical values, so most events need one allocation.
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        encode(into: &buffer)
        return buffer
    }

    /// Appends the event as compact JSON to `buffer`.
    ///
    /// Written by hand instead of with `JSONEncoder` because Ingest encodes every event
    /// on its hot path (tens of thousands per second) and the output must be
    /// byte-for-byte stable:
    /// - keys in the contract's order: `specversion`, `id`, `source`, `type`, `time`,
    ///   `subject`, `datacontenttype`, `data` (`callId`, `clientId`, `provider`,
    ///   `direction`, `from`, `to`, `callerHash`, `startedAt`, `endedAt`,
    ///   `durationSeconds`, `endReason`);
    /// - optional fields that are nil are left out rather than written as `null`;
    /// - no whitespace;
    /// - strings escape only `"`, `\` and control characters (as `\u00XX`); non-ASCII
    ///   text is written as UTF-8;
    /// - times are UTC RFC 3339 with milliseconds, `2026-01-27T16:13:00.000Z`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"specversion":"1.0","id":"#)
        buffer.writeJSONString(id)
        buffer.writeStaticString(#","source":"#)
        buffer.writeJSONString(source)
        // The type's raw values are plain ASCII with nothing to escape.
        switch type {
        case .started: buffer.writeStaticString(#","type":"call.started","time":""#)
        case .ended: buffer.writeStaticString(#","type":"call.ended","time":""#)
        }
        RFC3339Timestamp.write(time, into: &buffer)
        buffer.writeStaticString(#"","subject":"#)
        buffer.writeJSONString(data.callId)
        buffer.writeStaticString(#","datacontenttype":"application/json","data":{"#)
        data.encodeMembers(into: &buffer)
        buffer.writeStaticString("}}")
    }
}
