#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ISO 8601 date-times as providers write them, read without locale- or time-zone-dependent
/// formatters: `2026-01-27T16:13:00Z`, `2018-02-02T22:25:27.521992Z`,
/// `2026-01-27T17:13:00.5+01:00`, `…+0100`. A space between date and time, a lowercase
/// `t`/`z`, no seconds and a `,` before the fraction are accepted too; a date-time without
/// a zone is read as UTC. Events carry the stricter ``RFC3339Timestamp``.
public enum ISO8601DateTime {
    /// The instant of `text` (spaces and tabs around it ignored), with the fraction of the
    /// second kept to the nanosecond; nil when it is not such a date-time.
    public static func parse(_ text: some StringProtocol) -> Date? {
        guard let fields = DateTimeScanner.scan(text.trimmingWhitespace(), profile: .lenient) else { return nil }
        return Date(timeIntervalSince1970: Double(fields.epochSeconds) + Double(fields.nanoseconds) / 1_000_000_000)
    }
}
