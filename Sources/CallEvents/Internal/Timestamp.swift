#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// UTC RFC 3339 timestamps with millisecond precision (`2026-01-27T16:13:00.000Z`).
///
/// Formatting and parsing are done by hand from the Unix epoch: the formatter runs for
/// every event on the hot path, and Foundation's date formatters are slow, allocate, and
/// depend on locale and calendar settings that must never change what goes on the wire.
///
/// All times are handled as whole milliseconds since 1970 (`Int64`). A `Date` is rounded
/// to the *nearest* millisecond rather than truncated: a `Date` built from
/// `…00.123Z` is stored as a `Double` that may sit a hair below `.123`, and truncating
/// would turn it into `.122`.
enum Timestamp {
    /// `0000-01-01T00:00:00.000Z`, the earliest instant RFC 3339's four-digit year can write.
    static let minMilliseconds: Int64 = -62_167_219_200_000
    /// `9999-12-31T23:59:59.999Z`, the latest instant RFC 3339's four-digit year can write.
    static let maxMilliseconds: Int64 = 253_402_300_799_999

    static let millisecondsPerDay: Int64 = 86_400_000

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
    static func normalized(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    // MARK: - Formatting

    /// Writes the 24 bytes of `YYYY-MM-DDTHH:MM:SS.mmmZ` (without quotes).
    static func write(_ date: Date, into buffer: inout ByteBuffer) {
        let total = milliseconds(date)
        // Floor division so that instants before 1970 land on the previous day.
        var days = total / millisecondsPerDay
        var ofDay = total % millisecondsPerDay
        if ofDay < 0 {
            days -= 1
            ofDay += millisecondsPerDay
        }
        let (year, month, day) = civil(fromDays: days)
        let hour = ofDay / 3_600_000
        let minute = (ofDay / 60_000) % 60
        let second = (ofDay / 1000) % 60
        let millisecond = ofDay % 1000

        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
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
    }

    // MARK: - Parsing

    /// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    ///
    /// Accepts any number of fractional digits (rounded to the millisecond), a lowercase
    /// `t`/`z` (RFC 3339 allows both cases), and any UTC offset. A leap second (`:60`) is
    /// read as the first instant of the next minute, since `Date` has no leap seconds.
    /// Returns nil for anything else, including impossible dates such as February 30.
    static func parse(_ text: String) -> Date? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBytes { parse($0) }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> Date? {
        // The shortest valid form is `YYYY-MM-DDTHH:MM:SSZ` (20 bytes).
        guard bytes.count >= 20 else { return nil }

        func number(_ start: Int, _ length: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<(start + length) {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }

        guard let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
              let day = number(8, 2),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
              let second = number(17, 2)
        else { return nil }

        guard (1...12).contains(month),
              day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var fraction: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            var roundUp = false
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let value = Int64(bytes[index] - 0x30)
                switch index - start {
                case 0: fraction += value * 100
                case 1: fraction += value * 10
                case 2: fraction += value
                case 3: roundUp = value >= 5
                default: break
                }
                index += 1
            }
            guard index > start else { return nil }  // "." must be followed by a digit
            if roundUp { fraction += 1 }  // may reach 1000; the sum below carries it
        }

        guard index < bytes.count else { return nil }
        var offsetMinutes: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard bytes.count - index >= 6,
                  let offsetHour = number(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                  let offsetMinute = number(index + 4, 2),
                  offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }

        let days = days(fromCivilYear: year, month: month, day: day)
        let local = days * millisecondsPerDay
            + hour * 3_600_000 + minute * 60_000 + second * 1000 + fraction
        // Local time minus its offset is UTC: `18:13+02:00` is `16:13Z`.
        return date(milliseconds: local - offsetMinutes * 60_000)
    }

    // MARK: - Civil calendar arithmetic

    static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
    /// `days_from_civil`, which needs no tables and no calendar object).
    static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12  // March = 0, so the leap day ends the year
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's
    /// `civil_from_days`, the inverse of ``days(fromCivilYear:month:day:)``).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
