import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The date formats providers put in their bodies, formatted in UTC without Foundation's
/// formatters (not `Sendable`, and costly per webhook).
enum WebhookTime {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2026-01-27T16:13:00.123Z` (Vapi, Telnyx, generic).
    static func iso8601(_ date: Date) -> String {
        let (parts, milliseconds) = utc(date)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(milliseconds, 3))Z"
    }

    /// `Tue, 27 Jan 2026 16:13:00 +0000` (Twilio's `Timestamp`).
    static func rfc2822(_ date: Date) -> String {
        let (parts, _) = utc(date)
        return "\(weekdays[Int(parts.tm_wday)]), \(pad(Int(parts.tm_mday), 2)) \(months[Int(parts.tm_mon)]) \(Int(parts.tm_year) + 1900) "
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)) +0000"
    }

    /// Unix epoch milliseconds (Retell's timestamps, Vapi's `timestamp`).
    static func epochMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Unix epoch seconds, whole.
    static func epochSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    private static func utc(_ date: Date) -> (tm, Int) {
        let milliseconds = epochMilliseconds(date)
        var seconds = time_t(milliseconds / 1000)
        let remainder = Int(milliseconds % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, remainder)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
