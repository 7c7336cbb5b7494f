#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RFC 2822 date-times as Twilio writes them (`Sun, 25 Mar 2018 09:53:19 +0000`), read and
/// written without locale- or time-zone-dependent formatters.
public enum RFC2822Date {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let lowercaseMonths = months.map { $0.lowercased() }

    /// The instant of `text`; the day name and the seconds are optional, zones are `+hhmm`,
    /// `-hhmm`, `GMT`, `UT`, `UTC` or `Z`. A leap second (`:60`) is read as the next second.
    public static func parse(_ text: String) -> Date? {
        var parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = parts.first, first.hasSuffix(",") {
            let dayName = first.dropLast().lowercased()
            guard ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(dayName) else { return nil }
            parts.removeFirst()
        }
        guard parts.count == 5,
            let day = Int64(parts[0]), (1...2).contains(parts[0].count),
            let month = lowercaseMonths.firstIndex(of: parts[1].lowercased()).map({ Int64($0) + 1 }),
            parts[2].count == 4, let year = Int64(parts[2])
        else { return nil }
        let clock = parts[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2 || clock.count == 3,
            clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int64(clock[0]), let minute = Int64(clock[1])
        else { return nil }
        let second = clock.count == 3 ? Int64(clock[2]) ?? -1 : 0
        let offset: Int64
        switch parts[4].uppercased() {
        case "GMT", "UT", "UTC", "Z":
            offset = 0
        default:
            let zone = Array(parts[4].utf8)
            guard zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
                let hours = Int64(parts[4].dropFirst().prefix(2)), let minutes = Int64(parts[4].suffix(2)),
                zone[1...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                hours <= 23, minutes <= 59
            else { return nil }
            offset = (zone[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = CivilCalendar.days(fromCivilYear: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset))
    }

    /// `Tue, 27 Jan 2026 16:13:00 +0000` of whole seconds since the epoch, in UTC.
    public static func string(epochSeconds: Int64) -> String {
        let (days, secondOfDay) = CivilCalendar.days(ofMilliseconds: epochSeconds * 1000)
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        let seconds = secondOfDay / 1000
        return "\(weekdays[CivilCalendar.weekday(fromDays: days)]), \(pad(day, 2)) \(months[Int(month) - 1]) \(year) "
            + "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)) +0000"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
