import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
    static let minMilliseconds: Int64 = -62_167_219_200_000
    /// `9999-12-31T23:59:59.999Z`, the latest instant RFC 3339's four-digit year can write.
    static let maxMilliseconds: Int64 = 253_402_300_799_999

    /// Milliseconds since the epoch, rounded to the nearest millisecond and clamped to
    /// the years 0000…9999 so that every `Date` has a valid RFC 3339 form. A NaN date
    /// (which no real clock or parser produces) becomes the epoch instead of trapping.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard !value.isNaN else { return 0 }
        if value <= Double(minMilliseconds) { return minMilliseconds }
        if value >= Double(maxMilliseconds) { return maxMilliseconds }
        return Int64(value)
    }

    /// The `Date` of a millisecond count. Every `Date` in an event is built through here,
    /// so a decoded time compares equal to the time that was encoded.
    static func date(milliseconds: Int64) -> Date {
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
    static func write(milliseconds: Int64, into buffer: inout ByteBuffer) {
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

        /// Writes `value` as `count` decimal digits ending before `end`.
        @inline(__always) func digits(_ value: Int64, _ count: Int, endingAt end: Int) {
            var value = value
            for index in stride(from: end - 1, through: end - count, by: -1) {
                out[index] = 0x30 + UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
        // The separators from a template, then the fields' digits over its zeros.
        let template: StaticString = "0000-00-00T00:00:00.000Z"
        out.copyMemory(from: UnsafeRawBufferPointer(start: template.utf8Start, count: 24))
        digits(year, 4, endingAt: 4)
        digits(month, 2, endingAt: 7)
        digits(day, 2, endingAt: 10)
        digits(hour, 2, endingAt: 13)
        digits(minute, 2, endingAt: 16)
        digits(second, 2, endingAt: 19)
        digits(millisecond, 3, endingAt: 23)
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
