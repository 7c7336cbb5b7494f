#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// UTC RFC 3339 timestamps with millisecond precision (`2026-01-27T16:13:00.000Z`), the
/// form of every time in an event.
///
/// Formatting and parsing are done by hand from the Unix epoch: the formatter runs for
/// every event on the hot path, and Foundation's date formatters are slow, allocate, and
/// depend on locale and calendar settings that must never change what goes on the wire.
///
/// All times are handled as whole milliseconds since 1970 (`Int64`). A `Date` is rounded
/// to the *nearest* millisecond rather than truncated: a `Date` built from
/// `…00.123Z` is stored as a `Double` that may sit a hair below `.123`, and truncating
/// would turn it into `.122`.
public enum RFC3339Timestamp {
    /// `0000-01-01T00:00:00.000Z`, the earliest instant RFC 3339's four-digit year can write.
    public static let minMilliseconds: Int64 = -62_167_219_200_000
    /// `9999-12-31T23:59:59.999Z`, the latest instant RFC 3339's four-digit year can write.
    public static let maxMilliseconds: Int64 = 253_402_300_799_999

    /// Milliseconds since the epoch, rounded to the nearest millisecond and clamped to
    /// the years 0000…9999 so that every `Date` has a valid RFC 3339 form. A NaN date
    /// (which no real clock or parser produces) becomes the epoch instead of trapping.
    public static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard !value.isNaN else { return 0 }
        if value <= Double(minMilliseconds) { return minMilliseconds }
        if value >= Double(maxMilliseconds) { return maxMilliseconds }
        return Int64(value)
    }

    /// The `Date` of a millisecond count. Every `Date` in an event is built through here,
    /// so a decoded time compares equal to the time that was encoded.
    public static func date(milliseconds: Int64) -> Date {
        let clamped = min(max(milliseconds, minMilliseconds), maxMilliseconds)
        return Date(timeIntervalSince1970: Double(clamped) / 1000)
    }

    /// `date` rounded to what its wire form can hold (whole milliseconds, years 0000…9999).
    public static func normalized(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    // MARK: - Formatting

    /// Writes the 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ` (without quotes).
    public static func write(_ date: Date, into buffer: inout ByteBuffer) {
        write(milliseconds: milliseconds(date), into: &buffer)
    }

    /// Writes the 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ` of a millisecond count (clamped
    /// to the years 0000…9999).
    public static func write(milliseconds: Int64, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            write(milliseconds: milliseconds, to: out)
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a millisecond count, as a string (clamped to the years
    /// 0000…9999).
    public static func string(milliseconds: Int64) -> String {
        String(unsafeUninitializedCapacity: 24) { out in
            write(milliseconds: milliseconds, to: UnsafeMutableRawBufferPointer(out))
        }
    }

    private static func write(milliseconds: Int64, to out: UnsafeMutableRawBufferPointer) -> Int {
        let total = min(max(milliseconds, minMilliseconds), maxMilliseconds)
        let (days, ofDay) = CivilCalendar.days(ofMilliseconds: total)
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        let hour = ofDay / 3_600_000
        let minute = (ofDay / 60_000) % 60
        let second = (ofDay / 1000) % 60
        let millisecond = ofDay % 1000

        @inline(__always) func digit(_ value: Int64) -> UInt8 { 0x30 + UInt8(truncatingIfNeeded: value) }
        out[0] = digit(year / 1000)
        out[1] = digit((year / 100) % 10)
        out[2] = digit((year / 10) % 10)
        out[3] = digit(year % 10)
        out[4] = UInt8(ascii: "-")
        out[5] = digit(month / 10)
        out[6] = digit(month % 10)
        out[7] = UInt8(ascii: "-")
        out[8] = digit(day / 10)
        out[9] = digit(day % 10)
        out[10] = UInt8(ascii: "T")
        out[11] = digit(hour / 10)
        out[12] = digit(hour % 10)
        out[13] = UInt8(ascii: ":")
        out[14] = digit(minute / 10)
        out[15] = digit(minute % 10)
        out[16] = UInt8(ascii: ":")
        out[17] = digit(second / 10)
        out[18] = digit(second % 10)
        out[19] = UInt8(ascii: ".")
        out[20] = digit(millisecond / 100)
        out[21] = digit((millisecond / 10) % 10)
        out[22] = digit(millisecond % 10)
        out[23] = UInt8(ascii: "Z")
        return 24
    }

    // MARK: - Parsing

    /// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    ///
    /// Accepts any number of fractional digits (rounded to the millisecond), a lowercase
    /// `t`/`z` (RFC 3339 allows both cases), and any UTC offset. A leap second (`:60`) is
    /// read as the first instant of the next minute, since `Date` has no leap seconds.
    /// Returns nil for anything else, including impossible dates such as February 30.
    public static func parse(_ text: String) -> Date? {
        guard let fields = DateTimeScanner.scan(text, profile: .rfc3339) else { return nil }
        // Half up from the fourth digit; a fraction of .9995 or more carries into the next second.
        var fraction = fields.nanoseconds / 1_000_000
        if (fields.nanoseconds / 100_000) % 10 >= 5 { fraction += 1 }
        return date(milliseconds: fields.epochSeconds * 1000 + fraction)
    }
}
