/// The one reader of ISO 8601 date-times (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), on
/// the bytes of the text: events are decoded with it on the hot path, so it allocates
/// nothing and consults no locale or calendar.
///
/// Two profiles: ``Profile/rfc3339``, exactly RFC 3339's `date-time` (what events carry),
/// and ``Profile/lenient``, what providers write besides (see ``ISO8601DateTime``).
struct DateTimeScanner {
    enum Profile {
        /// RFC 3339: `T` or `t` between date and time, seconds, an optional `.fraction`, and
        /// `Z`, `z` or `±HH:MM`.
        case rfc3339
        /// Also a space between date and time, no seconds, a `,` before the fraction, a
        /// zone written `±HHMM` or `±HH`, or none (read as UTC).
        case lenient
    }

    /// A date-time read from text: the instant is `days`, `secondOfDay` and `nanoseconds`
    /// less `offsetSeconds`.
    struct Fields {
        /// Days since 1970-01-01 of the local date.
        var days: Int64
        /// Seconds since the local midnight; a leap second (`:60`) is the next minute's first.
        var secondOfDay: Int64
        /// The fraction of the second, from its first nine digits.
        var nanoseconds: Int64
        /// The zone's offset east of UTC.
        var offsetSeconds: Int64

        /// Whole seconds since the epoch (the fraction apart).
        var epochSeconds: Int64 {
            days * 86_400 + secondOfDay - offsetSeconds
        }
    }

    private let bytes: UnsafeRawBufferPointer
    private let profile: Profile
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer, _ profile: Profile) {
        self.bytes = bytes
        self.profile = profile
    }

    /// The fields of `bytes`, which must be one date-time and nothing else; nil for anything
    /// else, including impossible dates such as February 30.
    static func scan(_ bytes: UnsafeRawBufferPointer, profile: Profile) -> Fields? {
        var scanner = DateTimeScanner(bytes, profile)
        return scanner.dateTime()
    }

    /// ``scan(_:profile:)`` of a string's UTF-8 (without copying it when it is contiguous).
    static func scan(_ text: some StringProtocol, profile: Profile) -> Fields? {
        if let fields = text.utf8.withContiguousStorageIfAvailable({
            scan(UnsafeRawBufferPointer($0), profile: profile)
        }) {
            return fields
        }
        return Array(text.utf8).withUnsafeBytes { scan($0, profile: profile) }
    }

    private mutating func dateTime() -> Fields? {
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2) else { return nil }
        guard take("T") || take("t") || (profile == .lenient && take(" ")) else { return nil }
        guard let hour = digits(2), take(":"), let minute = digits(2) else { return nil }
        var second: Int64 = 0
        var nanoseconds: Int64 = 0
        if take(":") {
            guard let value = digits(2) else { return nil }
            second = value
            if take(".") || (profile == .lenient && take(",")) {
                guard let fraction = fraction() else { return nil }  // the separator needs a digit
                nanoseconds = fraction
            }
        } else if profile == .rfc3339 {
            return nil
        }
        guard let offsetSeconds = zone(), index == bytes.count else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        return Fields(
            days: CivilCalendar.days(fromCivilYear: year, month: month, day: day),
            secondOfDay: hour * 3600 + minute * 60 + second,
            nanoseconds: nanoseconds,
            offsetSeconds: offsetSeconds
        )
    }

    /// The zone's offset in seconds east of UTC, or nil when it is malformed or (RFC 3339) missing.
    private mutating func zone() -> Int64? {
        if take("Z") || take("z") { return 0 }
        let sign: Int64
        if take("+") {
            sign = 1
        } else if take("-") {
            sign = -1
        } else {
            return profile == .lenient && index == bytes.count ? 0 : nil
        }
        guard let hours = digits(2) else { return nil }
        var minutes: Int64 = 0
        if take(":") {
            guard let value = digits(2) else { return nil }
            minutes = value
        } else if profile == .lenient {
            if let value = digits(2) { minutes = value }
        } else {
            return nil
        }
        guard hours <= 23, minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// The digits after the decimal separator as nanoseconds (digits beyond the ninth are
    /// read and dropped), or nil when there is none.
    private mutating func fraction() -> Int64? {
        let start = index
        var value: Int64 = 0
        while index < bytes.count, let digit = Self.digit(bytes[index]) {
            if index - start < 9 { value = value * 10 + digit }
            index += 1
        }
        let count = index - start
        guard count > 0 else { return nil }
        for _ in count..<max(count, 9) { value *= 10 }
        return value
    }

    private mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// Exactly `count` decimal digits as a number.
    private mutating func digits(_ count: Int) -> Int64? {
        guard bytes.count - index >= count else { return nil }
        var value: Int64 = 0
        for offset in 0..<count {
            guard let digit = Self.digit(bytes[index + offset]) else { return nil }
            value = value * 10 + digit
        }
        index += count
        return value
    }

    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= 0x30 && byte <= 0x39 ? Int64(byte - 0x30) : nil
    }
}
