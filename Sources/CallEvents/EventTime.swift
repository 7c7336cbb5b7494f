#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// The wire format of every time in a call event: UTC RFC 3339 with milliseconds,
/// `2026-01-27T16:13:00.000Z`.
public enum EventTime {
    /// Appends `date` in the wire format, without quotes.
    public static func write(_ date: Date, into buffer: inout ByteBuffer) {
        Timestamp.write(date, into: &buffer)
    }
}
