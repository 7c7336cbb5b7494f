import Foundation

/// The date formats providers use, parsed without locale- or time-zone-dependent formatters.
enum WebhookDate {
    /// ISO 8601 / RFC 3339 date-time: `2026-01-27T16:13:00Z`, `2018-02-02T22:25:27.521992Z`,
    /// `2026-01-27T17:13:00.5+01:00`, `…+0100`. `t`/space separators and a lowercase `z` are
    /// accepted; a date-time without a zone is read as UTC.
    static func iso8601(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.trimmedWhitespace().utf8))
        guard let year = scanner.digits(exactly: 4), scanner.take("-"),
              let month = scanner.digits(exactly: 2), scanner.take("-"),
              let day = scanner.digits(exactly: 2)
        else { return nil }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" ") else { return nil }
        guard let hour = scanner.digits(exactly: 2), scanner.take(":"),
              let minute = scanner.digits(exactly: 2)
        else { return nil }
        var second = 0
        var fraction = 0.0
        if scanner.take(":") {
            guard let value = scanner.digits(exactly: 2) else { return nil }
            second = value
            if scanner.take(".") || scanner.take(",") {
                let digits = scanner.digitRun()
                guard !digits.isEmpty, let value = Double("0." + digits) else { return nil }
                fraction = value
            }
        }
        var offset = 0
        if scanner.take("Z") || scanner.take("z") {
            offset = 0
        } else if let sign = scanner.sign() {
            guard let hours = scanner.digits(exactly: 2) else { return nil }
            var minutes = 0
            if scanner.take(":") {
                guard let value = scanner.digits(exactly: 2) else { return nil }
                minutes = value
            } else if let value = scanner.digits(exactly: 2) {
                minutes = value
            }
            guard hours <= 23, minutes <= 59 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard scanner.atEnd else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: fraction, offset: offset)
    }

    /// RFC 2822 date-time as Twilio sends it: `Sun, 25 Mar 2018 09:53:19 +0000` (the day
    /// name and the seconds are optional; zones `+hhmm`, `-hhmm`, `GMT`, `UT`, `UTC`, `Z`).
    static func rfc2822(_ text: String) -> Date? {
        var parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = parts.first, first.hasSuffix(",") {
            let dayName = first.dropLast().lowercased()
            guard ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(dayName) else { return nil }
            parts.removeFirst()
        }
        guard parts.count == 5,
              let day = Int(parts[0]), (1...2).contains(parts[0].count),
              let month = months.firstIndex(of: parts[1].lowercased()).map({ $0 + 1 }),
              parts[2].count == 4, let year = Int(parts[2])
        else { return nil }
        let clock = parts[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2 || clock.count == 3,
              clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let hour = Int(clock[0]), let minute = Int(clock[1])
        else { return nil }
        let second = clock.count == 3 ? Int(clock[2]) ?? -1 : 0
        let offset: Int
        switch parts[4].uppercased() {
        case "GMT", "UT", "UTC", "Z":
            offset = 0
        default:
            let zone = Array(parts[4].utf8)
            guard zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
                  let hours = Int(parts[4].dropFirst().prefix(2)), let minutes = Int(parts[4].suffix(2)),
                  zone[1...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  hours <= 23, minutes <= 59
            else { return nil }
            offset = (zone[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: 0, offset: offset)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The instant of a civil date-time at a UTC offset (in seconds east of UTC), or nil when
    /// a field is out of range. A leap second (`:60`) is read as the next second.
    private static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Double, offset: Int) -> Date? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digits(exactly count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        mutating func digitRun() -> String {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func sign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }
    }
}
