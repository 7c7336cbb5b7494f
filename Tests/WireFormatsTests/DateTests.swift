import Foundation
import NIOCore
import Testing

@testable import WireFormats

@Suite("Provider date formats")
struct ProviderDateTests {
    @Test("RFC 2822 as Twilio sends it")
    func rfc2822() {
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 09:53:19 +0000") == Date(timeIntervalSince1970: 1_521_971_599))
        #expect(RFC2822Date.parse("25 Mar 2018 09:53:19 +0000") == Date(timeIntervalSince1970: 1_521_971_599))
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 11:53:19 +0200") == Date(timeIntervalSince1970: 1_521_971_599))
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 04:53:19 -0500") == Date(timeIntervalSince1970: 1_521_971_599))
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 09:53:19 GMT") == Date(timeIntervalSince1970: 1_521_971_599))
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 09:53 +0000") == Date(timeIntervalSince1970: 1_521_971_580))
        #expect(RFC2822Date.parse("Thu, 29 Feb 2024 00:00:00 +0000") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(RFC2822Date.parse("2018-03-25T09:53:19Z") == nil)
        #expect(RFC2822Date.parse("Sun, 30 Feb 2018 09:53:19 +0000") == nil)
        #expect(RFC2822Date.parse("Sun, 25 Foo 2018 09:53:19 +0000") == nil)
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 24:53:19 +0000") == nil)
        #expect(RFC2822Date.parse("Sun, 25 Mar 2018 09:53:19 EST") == nil)
        #expect(RFC2822Date.parse("") == nil)
    }

    @Test("ISO 8601 with fractions and offsets")
    func iso8601() throws {
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00Z") == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00.000Z") == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(ISO8601DateTime.parse("2026-01-27T17:13:00+01:00") == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(ISO8601DateTime.parse("2026-01-27T11:13:00-0500") == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(ISO8601DateTime.parse("2026-01-27 16:13:00z") == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00") == Date(timeIntervalSince1970: 1_769_530_380))
        let fractional = try #require(ISO8601DateTime.parse("2018-02-02T22:25:27.521992Z"))
        #expect(abs(fractional.timeIntervalSince1970 - 1_517_610_327.521992) < 0.000_01)
        #expect(ISO8601DateTime.parse("2026-01-27") == nil)
        #expect(ISO8601DateTime.parse("2026-13-27T16:13:00Z") == nil)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00Zjunk") == nil)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00.Z") == nil)
        #expect(ISO8601DateTime.parse("1714608475") == nil)
    }

    @Test("ISO 8601 as providers write it besides RFC 3339")
    func lenientISO8601() {
        let instant = Date(timeIntervalSince1970: 1_769_530_380)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13Z") == instant)
        #expect(ISO8601DateTime.parse(" 2026-01-27T16:13:00Z\t") == instant)
        #expect(ISO8601DateTime.parse("2026-01-27T17:13:00+01") == instant)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00,5Z") == Date(timeIntervalSince1970: 1_769_530_380.5))
        let long = ISO8601DateTime.parse("2026-01-27T16:13:00.123456789123Z")?.timeIntervalSince1970 ?? 0
        #expect(abs(long - 1_769_530_380.123_456_789) < 0.000_001)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00+1") == nil)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00+01:0") == nil)
        #expect(ISO8601DateTime.parse("2026-01-27T16:13:00+24:00") == nil)
        #expect(ISO8601DateTime.parse("2026-02-29T16:13:00Z") == nil)
    }
}

@Suite("RFC 3339 timestamps of events")
struct RFC3339TimestampTests {
    func written(_ date: Date) -> String {
        var buffer = ByteBuffer()
        RFC3339Timestamp.write(date, into: &buffer)
        return String(buffer: buffer)
    }

    @Test("written in UTC with milliseconds, rounded to the nearest, before 1970 too")
    func writing() {
        #expect(written(Date(timeIntervalSince1970: 1_769_530_380)) == "2026-01-27T16:13:00.000Z")
        #expect(written(Date(timeIntervalSince1970: 1_769_530_380.1235)) == "2026-01-27T16:13:00.124Z")
        #expect(written(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(written(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(written(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        // Clamped to what a four-digit year can write.
        #expect(written(Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59.999Z")
        #expect(written(Date(timeIntervalSince1970: -1e12)) == "0000-01-01T00:00:00.000Z")
        #expect(RFC3339Timestamp.string(milliseconds: 1_769_530_380_250) == "2026-01-27T16:13:00.250Z")
    }

    @Test("parsed as RFC 3339 says, rounded half up to the millisecond")
    func parsing() throws {
        let instant = Date(timeIntervalSince1970: 1_769_530_380)
        #expect(RFC3339Timestamp.parse("2026-01-27T16:13:00Z") == instant)
        #expect(RFC3339Timestamp.parse("2026-01-27t16:13:00z") == instant)
        #expect(RFC3339Timestamp.parse("2026-01-27T17:13:00+01:00") == instant)
        #expect(RFC3339Timestamp.parse("2026-01-27T11:13:00-05:00") == instant)
        #expect(RFC3339Timestamp.parse("2026-01-27T16:13:00.1234Z") == Date(timeIntervalSince1970: 1_769_530_380.123))
        #expect(RFC3339Timestamp.parse("2026-01-27T16:13:00.1235Z") == Date(timeIntervalSince1970: 1_769_530_380.124))
        #expect(RFC3339Timestamp.parse("2026-01-27T16:13:00.9999Z") == Date(timeIntervalSince1970: 1_769_530_381))
        #expect(RFC3339Timestamp.parse("2026-01-27T16:13:59.5+00:00") == Date(timeIntervalSince1970: 1_769_530_439.5))
        // A leap second is the first instant of the next minute.
        #expect(RFC3339Timestamp.parse("2016-12-31T23:59:60Z") == RFC3339Timestamp.parse("2017-01-01T00:00:00Z"))
    }

    @Test(
        "what RFC 3339 does not allow is refused",
        arguments: [
            "", "2026-01-27", "2026-01-27T16:13Z", "2026-01-27 16:13:00Z", "2026-01-27T16:13:00",
            "2026-01-27T16:13:00+0100",
            "2026-01-27T16:13:00,5Z", "2026-01-27T16:13:00.Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
            "2026-01-27T24:00:00Z",
            "2026-01-27T16:60:00Z", "2026-01-27T16:13:61Z", "2026-01-27T16:13:00+24:00", "2026-01-27T16:13:00Zjunk",
            " 2026-01-27T16:13:00Z",
            "２026-01-27T16:13:00Z",
        ])
    func refused(text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil)
    }

    @Test("what is written reads back as the same instant")
    func roundTrip() {
        for milliseconds: Int64 in [
            0, 1, -1, 951_782_400_000, 1_769_530_380_123, RFC3339Timestamp.minMilliseconds,
            RFC3339Timestamp.maxMilliseconds,
        ] {
            let date = RFC3339Timestamp.date(milliseconds: milliseconds)
            #expect(RFC3339Timestamp.parse(written(date)) == date)
            #expect(RFC3339Timestamp.milliseconds(date) == milliseconds)
        }
    }
}

@Suite("RFC 2822 dates written")
struct RFC2822WritingTests {
    @Test("Twilio's form, in UTC, with the day of the week")
    func writing() {
        #expect(RFC2822Date.string(epochSeconds: 1_769_530_380) == "Tue, 27 Jan 2026 16:13:00 +0000")
        #expect(RFC2822Date.string(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(RFC2822Date.string(epochSeconds: 1_709_164_800) == "Thu, 29 Feb 2024 00:00:00 +0000")
        #expect(RFC2822Date.string(epochSeconds: -86_400) == "Wed, 31 Dec 1969 00:00:00 +0000")
        for seconds: Int64 in [0, 1_521_971_599, 1_709_164_800, 1_769_530_380] {
            #expect(
                RFC2822Date.parse(RFC2822Date.string(epochSeconds: seconds))
                    == Date(timeIntervalSince1970: Double(seconds)))
        }
    }
}
