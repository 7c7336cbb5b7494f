import CallEvents
import Foundation
import HTTPTypes
import Testing

@testable import Ingest

@Suite("Constant-time comparison and signature helpers")
struct VerificationSupportTests {
    @Test("equal byte sequences compare equal")
    func equalBytes() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(ConstantTime.equals(Array("secret".utf8), Array("secret".utf8)))
        #expect(ConstantTime.equals("s3cr3t-ü", "s3cr3t-ü"))
    }

    @Test("any differing byte, at any position, makes them unequal")
    func differingBytes() {
        let base: [UInt8] = Array(repeating: 0xAB, count: 32)
        for index in base.indices {
            var other = base
            other[index] ^= 0x01
            #expect(!ConstantTime.equals(base, other), "difference at \(index) not seen")
            other[index] = 0x00
            #expect(!ConstantTime.equals(other, base))
        }
        #expect(!ConstantTime.equals("secret", "Secret"))
        #expect(!ConstantTime.equals("secret", "secreT"))
    }

    @Test("different lengths are unequal, including prefixes and zero padding")
    func differingLengths() {
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 0] as [UInt8], [1, 2] as [UInt8]))
        #expect(!ConstantTime.equals([] as [UInt8], [0] as [UInt8]))
        #expect(!ConstantTime.equals("secret", "secret "))
        #expect(!ConstantTime.equals("", "x"))
    }

    @Test("works on any byte collection (slices, UTF-8 views)")
    func collections() {
        let bytes: [UInt8] = [9, 1, 2, 3, 9]
        #expect(ConstantTime.equals(bytes[1...3], [1, 2, 3] as [UInt8]))
        #expect(ConstantTime.equals("abc".utf8, [97, 98, 99] as [UInt8]))
    }

    @Test("signature header items: keys repeat, whitespace is ignored, junk is skipped")
    func headerItems() {
        let items = SignatureHeader.items(" t=1, v1=aa ,v1=bb,junk,,v0=cc")
        #expect(items.map(\.key) == ["t", "v1", "v1", "v0"])
        #expect(items.map(\.value) == ["1", "aa", "bb", "cc"])
        #expect(SignatureHeader.isDigits("0123"))
        #expect(!SignatureHeader.isDigits(""))
        #expect(!SignatureHeader.isDigits("-1"))
        #expect(!SignatureHeader.isDigits("1.5"))
    }

    @Test(
        "header items as slices are the same items, ASCII or not",
        arguments: [
            " t=1, v1=aa ,v1=bb,junk,,v0=cc", "t=1,v1=a=b, =x,k=,", ",,=,", "", "t=1,\u{301}v1=aa", "é=1, v1 = ü ,ü",
        ]
    )
    func headerItemSlices(header: String) {
        var sliced: [(key: String, value: String)] = []
        SignatureHeader.forEachItem(header) { key, value in sliced.append((String(key), String(value))) }
        let items = SignatureHeader.items(header)
        #expect(sliced.map(\.key) == items.map(\.key))
        #expect(sliced.map(\.value) == items.map(\.value))
    }

    @Test("a header's value is every occurrence joined, as HTTPFields gives it")
    func headerValues() {
        let name = HTTPField.Name("X-Signature")!
        var fields: HTTPFields = [.contentType: "application/json"]
        #expect(fields.value(of: name) == nil)
        fields.append(HTTPField(name: name, value: "t=1,v1=aa"))
        #expect(fields.value(of: name) == "t=1,v1=aa")
        fields.append(HTTPField(name: .contentLength, value: "3"))
        fields.append(HTTPField(name: name, value: "t=2,v1=bb"))
        #expect(fields.value(of: name) == fields[name])
        #expect(fields.value(of: name) == "t=1,v1=aa, t=2,v1=bb")
    }

    @Test("timestamp window accepts the edges and refuses beyond, both ways")
    func timestampWindow() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let window = TimestampWindow(tolerance: .seconds(300), now: { now })
        try window.check(now, source: "h")
        try window.check(now.addingTimeInterval(-300), source: "h")
        try window.check(now.addingTimeInterval(300), source: "h")
        do {
            try window.check(now.addingTimeInterval(-301), source: "x-test timestamp")
            Issue.record("stale timestamp accepted")
        } catch {
            #expect(
                error.description
                    == "x-test timestamp is 301 s old; at most 300 s is accepted (replayed or delayed delivery)")
        }
        do {
            try window.check(now.addingTimeInterval(400), source: "x-test timestamp")
            Issue.record("future timestamp accepted")
        } catch {
            #expect(
                error.description == "x-test timestamp is 400 s in the future; at most 300 s of clock skew is accepted")
        }
        do {
            try window.check(now.addingTimeInterval(-300.2), source: "x-test timestamp")
            Issue.record("stale timestamp accepted")
        } catch {
            #expect(error.description.hasPrefix("x-test timestamp is 301 s old"))
        }
    }
}

@Suite("Normalization helpers")
struct NormalizationSupportTests {
    @Test("durations round half up from milliseconds")
    func rounding() {
        #expect(CallTiming.wholeSeconds(milliseconds: 49_499) == 49)
        #expect(CallTiming.wholeSeconds(milliseconds: 49_500) == 50)
        #expect(CallTiming.wholeSeconds(milliseconds: 0) == 0)
        #expect(CallTiming.wholeSeconds(milliseconds: 499.6) == 1)
        #expect(CallTiming.wholeSeconds(milliseconds: -1) == nil)
        let start = Date(timeIntervalSince1970: 1000)
        #expect(CallTiming.duration(from: start, to: start.addingTimeInterval(48.5)) == 49)
        #expect(CallTiming.duration(from: start, to: start.addingTimeInterval(48.499)) == 48)
        #expect(CallTiming.duration(from: start, to: start.addingTimeInterval(-1)) == nil)
    }

    @Test("complete derives the missing one of start, end and duration")
    func complete() {
        let end = Date(timeIntervalSince1970: 2000)
        var start: Date? = nil
        var duration: Int? = 30
        CallTiming.complete(startedAt: &start, endedAt: end, durationSeconds: &duration)
        #expect(start == Date(timeIntervalSince1970: 1970))
        #expect(duration == 30)

        start = Date(timeIntervalSince1970: 1900)
        duration = nil
        CallTiming.complete(startedAt: &start, endedAt: end, durationSeconds: &duration)
        #expect(duration == 100)

        start = nil
        duration = nil
        CallTiming.complete(startedAt: &start, endedAt: nil, durationSeconds: &duration)
        #expect(start == nil && duration == nil)
    }
}
