import CallEvents
import Foundation
import NIOCore
import SeedableRandom
import Testing

@Suite("CallEvent encoding")
struct CallEventEncodingTests {
    @Test("a known event encodes to exactly the contract's form")
    func exactEncoding() {
        #expect(Fixtures.string(Fixtures.fullEvent) == Fixtures.fullEventJSON)
    }

    @Test("absent optional fields are left out, not written as null")
    func omitsNil() {
        #expect(
            Fixtures.string(Fixtures.minimalEvent)
                == #"{"specversion":"1.0","id":"e1","source":"callbridge/ingest/vapi","type":"call.started","time":"2026-01-27T16:12:11.000Z","subject":"call-1","datacontenttype":"application/json","data":{"callId":"call-1","clientId":"acme","provider":"vapi"}}"#
        )
    }

    @Test("each optional field is written when present, in contract order")
    func eachOptionalField() {
        var details = CallDetails(callId: "c", clientId: "k", provider: "p")
        details.durationSeconds = 0
        details.to = "***1212"
        let event = CallEvent(type: .ended, id: "i", time: Date(timeIntervalSince1970: 0), details: details)
        #expect(
            Fixtures.string(event).hasSuffix(
                #""data":{"callId":"c","clientId":"k","provider":"p","to":"***1212","durationSeconds":0}}"#))
    }

    @Test("Foundation parses the output, with the contract's keys in the contract's order")
    func keysAndOrder() throws {
        let object = try Fixtures.foundationObject(Fixtures.fullEvent)
        #expect(
            Set(object.keys) == ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"])
        #expect(object["specversion"] as? String == "1.0")
        #expect(object["subject"] as? String == "CA5f2c")
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["durationSeconds"] as? Int == 49)
        #expect(data["from"] as? String == "***4321")

        // Order is not visible through JSONSerialization; check it on the text.
        let text = Fixtures.string(Fixtures.fullEvent)
        let order = [
            #""specversion":"#, #""id":"#, #""source":"#, #""type":"#, #""time":"#, #""subject":"#,
            #""datacontenttype":"#, #""data":"#, #""callId":"#, #""clientId":"#, #""provider":"#,
            #""direction":"#, #""from":"#, #""to":"#, #""callerHash":"#, #""startedAt":"#, #""endedAt":"#,
            #""durationSeconds":"#, #""endReason":"#,
        ]
        let positions = order.map { key in
            text.range(of: key).map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? -1
        }
        #expect(!positions.contains(-1))
        #expect(positions == positions.sorted())
    }

    @Test("strings are escaped as JSON requires and nothing more")
    func escaping() throws {
        let tricky = "a\"b\\c\nd\te\u{0}f\u{1F}g\u{7F}h/é😀\u{2028}"
        var details = CallDetails(callId: "c", clientId: "k", provider: "p")
        details.endReason = tricky
        let event = CallEvent(type: .ended, id: "i", time: Date(timeIntervalSince1970: 0), details: details)
        let text = Fixtures.string(event)
        #expect(text.contains(#","endReason":"a\"b\\c\u000ad\u0009e\u0000f\u001fg"# + "\u{7F}h/é😀\u{2028}\"}}"))
        // An independent parser gets the original string back.
        let data = try #require(try Fixtures.foundationObject(event)["data"] as? [String: Any])
        #expect(data["endReason"] as? String == tricky)
    }

    @Test("every control character is written as \\u00XX")
    func controlCharacters() throws {
        let controls = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) }))
        let event = CallEvent(
            type: .ended, id: controls, time: Date(timeIntervalSince1970: 0),
            details: CallDetails(callId: "c", clientId: "k", provider: "p"))
        let text = Fixtures.string(event)
        let expected = (0..<0x20).map { String(format: "\\u%04x", $0) }.joined()
        #expect(text.contains(#""id":""# + expected + #"""#))
        #expect(try Fixtures.foundationObject(event)["id"] as? String == controls)
    }

    @Test("negative and extreme durations are written as plain integers")
    func integers() throws {
        for value in [0, 7, -3, 1_000_000, Int.max, Int.min] {
            var details = CallDetails(callId: "c", clientId: "k", provider: "p")
            details.durationSeconds = value
            let event = CallEvent(type: .ended, id: "i", time: Date(timeIntervalSince1970: 0), details: details)
            #expect(Fixtures.string(event).contains(#""durationSeconds":\#(value)}"#))
            #expect(try CallEvent.decode(event.encoded()) == event)
        }
    }

    @Test("encode(into:) appends to what the buffer already holds")
    func appends() {
        var buffer = ByteBuffer(string: #"{"event":"#)
        Fixtures.minimalEvent.encode(into: &buffer)
        buffer.writeString("}")
        #expect(String(buffer: buffer) == #"{"event":"# + Fixtures.string(Fixtures.minimalEvent) + "}")
    }

    @Test("the convenience initializer fills the fixed attributes")
    func convenienceInitializer() {
        let event = Fixtures.fullEvent
        #expect(event.specversion == "1.0")
        #expect(event.datacontenttype == "application/json")
        #expect(event.subject == "CA5f2c")
        #expect(event.source == "callbridge/ingest/twilio")
        #expect(event.type == .ended)
        #expect(CallEvent.mediaType == "application/cloudevents+json")
    }
}

@Suite("Time formatting")
struct TimeFormattingTests {
    @Test(
        "UTC RFC 3339 with milliseconds",
        arguments: [
            (1_769_530_380.0, "2026-01-27T16:13:00.000Z"),
            (0.0, "1970-01-01T00:00:00.000Z"),
            (0.001, "1970-01-01T00:00:00.001Z"),
            (-0.001, "1969-12-31T23:59:59.999Z"),
            (-86_400.0, "1969-12-31T00:00:00.000Z"),
            (951_868_799.999, "2000-02-29T23:59:59.999Z"),
            (1_735_689_599.999, "2024-12-31T23:59:59.999Z"),
            (1_769_530_380.123, "2026-01-27T16:13:00.123Z"),
            (1_769_530_380.05, "2026-01-27T16:13:00.050Z"),
            (-2_203_891_200.0, "1900-03-01T00:00:00.000Z"),
            (4_107_542_400.0, "2100-03-01T00:00:00.000Z"),
            (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
            (-62_167_219_200.0, "0000-01-01T00:00:00.000Z"),
        ]
    )
    func format(seconds: Double, expected: String) throws {
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("sub-millisecond parts round to the nearest millisecond, carrying into the next year")
    func rounding() throws {
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: 1_769_530_380.0004)) == "2026-01-27T16:13:00.000Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: 1_769_530_380.1236)) == "2026-01-27T16:13:00.124Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: 1_735_689_599.9994)) == "2024-12-31T23:59:59.999Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: 1_735_689_599.9996)) == "2025-01-01T00:00:00.000Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: -0.0004)) == "1970-01-01T00:00:00.000Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: -0.0006)) == "1969-12-31T23:59:59.999Z")
    }

    @Test("times beyond what four-digit years can write are clamped")
    func clamping() throws {
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: 1e13)) == "9999-12-31T23:59:59.999Z")
        #expect(try Fixtures.encodedTime(Date(timeIntervalSince1970: -1e13)) == "0000-01-01T00:00:00.000Z")
        // Foundation's distantPast is 0001-01-01 in the Julian calendar, which is two days
        // earlier in the proleptic Gregorian calendar that RFC 3339 uses.
        #expect(try Fixtures.encodedTime(.distantPast) == "0000-12-30T00:00:00.000Z")
        #expect(try Fixtures.encodedTime(.distantFuture) == "4001-01-01T00:00:00.000Z")
    }

    @Test("stored times are rounded to what the wire holds, so round trips are exact")
    func normalization() throws {
        let event = CallEvent(
            type: .started, id: "i", time: Date(timeIntervalSince1970: 1_769_530_380.123_456),
            details: CallDetails(
                callId: "c", clientId: "k", provider: "p", startedAt: Date(timeIntervalSince1970: 5.0004)))
        #expect(event.time == Date(timeIntervalSince1970: 1_769_530_380.123))
        #expect(event.data.startedAt == Date(timeIntervalSince1970: 5))
        var mutated = event
        mutated.time = Date(timeIntervalSince1970: 10.0006)
        mutated.data.endedAt = Date(timeIntervalSince1970: 11.9999)
        #expect(mutated.time == Date(timeIntervalSince1970: 10.001))
        #expect(mutated.data.endedAt == Date(timeIntervalSince1970: 12))
        #expect(try CallEvent.decode(mutated.encoded()) == mutated)
    }

    @Test("agrees with Foundation's Gregorian calendar on random instants from 1600 to 9999")
    func matchesCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SplitMix64(seed: 0x5EED)
        let low: Int64 = -11_676_096_000_000  // 1600-01-01
        let high: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999
        for _ in 0..<2000 {
            let milliseconds = low + Int64(generator.next() % UInt64(high - low))
            let wholeSeconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
            let millisecond = milliseconds - wholeSeconds * 1000
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second],
                from: Date(timeIntervalSince1970: Double(wholeSeconds))
            )
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, Int(millisecond)
            )
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(try Fixtures.encodedTime(date) == expected)
        }
    }
}
