import CallEvents
import Foundation
import NIOCore
import Testing

@Suite("EventIdentifier")
struct EventIdentifierTests {
    static let body = Array("CallSid=CA123&CallStatus=completed".utf8)

    static func id(
        provider: String = "twilio",
        callId: String = "CA123",
        type: CallEventType = .ended,
        body: [UInt8] = Self.body
    ) -> String {
        EventIdentifier.make(provider: provider, callId: callId, type: type, delivery: body)
    }

    @Test("matches the construction computed independently")
    func knownVector() {
        // Python: SHA-256 of b"callbridge.event-id.v1" + each field as an 8-byte big-endian
        // length and its bytes (provider, callId, type, SHA-256 of the body); first 16
        // bytes; version 8 and variant bits set; str(uuid.UUID(bytes=…)).
        #expect(Self.id() == "13814428-b49f-893c-aa08-64488252fe67")
        #expect(Self.id(body: []) == "9929581c-8e9d-8d32-92df-dca57e9cf210")
    }

    @Test("the same delivery always gets the same id, whatever the byte container")
    func deterministic() {
        let expected = Self.id()
        #expect(Self.id() == expected)
        #expect(
            EventIdentifier.make(provider: "twilio", callId: "CA123", type: .ended, delivery: Data(Self.body))
                == expected)
        #expect(
            EventIdentifier.make(
                provider: "twilio", callId: "CA123", type: .ended, delivery: ByteBuffer(bytes: Self.body)) == expected)
        // A buffer whose reader index has moved: only the readable bytes count.
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF] + Self.body)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(EventIdentifier.make(provider: "twilio", callId: "CA123", type: .ended, delivery: buffer) == expected)
        #expect(
            EventIdentifier.make(
                provider: "twilio", callId: "CA123", type: .ended, delivery: "CallSid=CA123&CallStatus=completed".utf8)
                == expected)
    }

    @Test("changing any input changes the id")
    func sensitiveToEveryInput() {
        let ids = [
            Self.id(),
            Self.id(provider: "vapi"),
            Self.id(provider: "Twilio"),
            Self.id(callId: "CA124"),
            Self.id(type: .started),
            Self.id(body: Self.body + [0x20]),
            Self.id(body: Array("CallSid=CA123&CallStatus=completed&SequenceNumber=2".utf8)),
            Self.id(body: []),
        ]
        #expect(Set(ids).count == ids.count)
    }

    @Test("a provider's own event id gives the same id for every retry, unlike the body, and differs from every body's")
    func providerEventID() {
        let first = EventIdentifier.make(provider: "telnyx", callId: "v3:1", type: .ended, providerEventID: "e-1")
        #expect(first == EventIdentifier.make(provider: "telnyx", callId: "v3:1", type: .ended, providerEventID: "e-1"))
        #expect(first != EventIdentifier.make(provider: "telnyx", callId: "v3:1", type: .ended, providerEventID: "e-2"))
        #expect(
            first != EventIdentifier.make(provider: "telnyx", callId: "v3:1", type: .started, providerEventID: "e-1"))
        #expect(
            first != EventIdentifier.make(provider: "telnyx", callId: "v3:1", type: .ended, delivery: Array("e-1".utf8))
        )
    }

    @Test("two deliveries about the same call and type get different ids")
    func differentDeliveriesSameCall() {
        let statusUpdate = Array(#"{"message":{"type":"status-update","status":"ended","call":{"id":"c1"}}}"#.utf8)
        let report = Array(#"{"message":{"type":"end-of-call-report","endedReason":"hangup","call":{"id":"c1"}}}"#.utf8)
        let a = EventIdentifier.make(provider: "vapi", callId: "c1", type: .ended, delivery: statusUpdate)
        let b = EventIdentifier.make(provider: "vapi", callId: "c1", type: .ended, delivery: report)
        #expect(a != b)
    }

    @Test("field boundaries are unambiguous")
    func framing() {
        #expect(Self.id(provider: "ab", callId: "c") != Self.id(provider: "a", callId: "bc"))
        #expect(Self.id(provider: "", callId: "twilioCA123") != Self.id(provider: "twilio", callId: "CA123"))
        #expect(Self.id(provider: "twilio", callId: "") != Self.id(provider: "twilio\0", callId: ""))
    }

    @Test(
        "is an RFC 9562 version 8 UUID in lowercase",
        arguments: ["", "a", "CA0123456789abcdef", "call-ü-ñ", "x-9"]
    )
    func uuidFormat(callId: String) throws {
        for type in CallEventType.allCases {
            let id = Self.id(callId: callId, type: type)
            let characters = Array(id)
            #expect(characters.count == 36)
            for (index, character) in characters.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(character == "-")
                } else {
                    #expect("0123456789abcdef".contains(character), "not lowercase hex: \(id)")
                }
            }
            #expect(characters[14] == "8", "version nibble: \(id)")
            #expect("89ab".contains(characters[19]), "variant bits: \(id)")
            // Foundation parses it as a UUID, and the version/variant fields agree.
            let uuid = try #require(UUID(uuidString: id))
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 8)
            #expect(bytes[8] >> 6 == 0b10)
        }
    }
}
