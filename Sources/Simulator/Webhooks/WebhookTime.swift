import Foundation
import WireFormats

/// The date formats providers put in their bodies, in UTC (written by ``WireFormats``, not
/// by Foundation's formatters, which are not `Sendable` and costly per webhook).
enum WebhookTime {
    /// `2026-01-27T16:13:00.123Z` (Vapi, Telnyx, generic), truncated to the millisecond.
    static func iso8601(_ date: Date) -> String {
        RFC3339Timestamp.string(milliseconds: epochMilliseconds(date))
    }

    /// `Tue, 27 Jan 2026 16:13:00 +0000` (Twilio's `Timestamp`).
    static func rfc2822(_ date: Date) -> String {
        RFC2822Date.string(epochSeconds: epochMilliseconds(date) / 1000)
    }

    /// Unix epoch milliseconds (Retell's timestamps, Vapi's `timestamp`).
    static func epochMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Unix epoch seconds, whole.
    static func epochSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
