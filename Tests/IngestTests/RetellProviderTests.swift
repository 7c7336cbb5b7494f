import Crypto
import Foundation
import Testing

@testable import Ingest

@Suite("Retell provider")
struct RetellProviderTests {
    static let key = "key_test"
    static let vectorBody = #"{"event":"call_started","call":{"call_id":"abc"}}"#
    static let vectorHeader = "v=1714608475945,d=d869cffb0c9f3840faf13481bd6ca32c0a72e11dcae5e14e65429ae43bf5005a"
    static let vectorTime = Date(timeIntervalSince1970: 1_714_608_475.945)

    static func provider(now: Date = vectorTime.addingTimeInterval(20), key: String = key) -> RetellProvider {
        RetellProvider(apiKey: key, now: { now })
    }

    /// Signs like Retell's SDK, independently of the code under test.
    static func sign(_ body: String, milliseconds: Int64, key: String = key) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((body + String(milliseconds)).utf8), using: SymmetricKey(data: Data(key.utf8)))
        return "v=\(milliseconds),d=\(mac.map { String(format: "%02x", $0) }.joined())"
    }

    static func request(_ body: String, uri: String = "/webhooks/retell", header: String? = nil) -> WebhookRequest {
        let signature = header ?? sign(body, milliseconds: 1_714_608_475_945)
        return makeRequest(
            uri: uri, headers: [("Content-Type", "application/json"), ("x-retell-signature", signature)], body: body,
            receivedAt: vectorTime.addingTimeInterval(20))
    }

    static let endedBody = #"""
        {"event":"call_ended","call":{"call_type":"phone_call","call_id":"Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6","agent_id":"oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD","call_status":"ended","direction":"outbound","from_number":"+12137771234","to_number":"+12137771235","start_timestamp":1714608475945,"end_timestamp":1714608525445,"duration_ms":49500,"disconnection_reason":"user_hangup","metadata":{"clientId":"acme","other":1},"transcript":"Agent: hi"}}
        """#

    @Test("the SDK's published vector verifies, and is what the signer produces")
    func publishedVector() throws {
        try Self.provider().authenticate(Self.request(Self.vectorBody, header: Self.vectorHeader))
        let signer = RetellSignature(apiKey: Self.key, now: { Self.vectorTime })
        #expect(
            signer.header(body: Array(Self.vectorBody.utf8), timestampMilliseconds: 1_714_608_475_945)
                == Self.vectorHeader)
        #expect(Self.sign(Self.vectorBody, milliseconds: 1_714_608_475_945) == Self.vectorHeader)
    }

    @Test("header variations: uppercase hex, spaces, reversed order, several digests")
    func headerVariations() throws {
        let provider = Self.provider()
        let digest = "d869cffb0c9f3840faf13481bd6ca32c0a72e11dcae5e14e65429ae43bf5005a"
        for header in [
            "v=1714608475945,d=\(digest.uppercased())",
            "v=1714608475945, d=\(digest)",
            "d=\(digest),v=1714608475945",
            "v=1714608475945,d=00,d=\(digest)",
        ] {
            try provider.authenticate(Self.request(Self.vectorBody, header: header))
        }
    }

    @Test("missing, malformed and wrong signatures are 401")
    func signatureFailures() {
        let provider = Self.provider()
        expectRejected(.unauthorized, "missing x-retell-signature header") {
            try provider.authenticate(
                makeRequest(headers: [("Content-Type", "application/json")], body: Self.vectorBody))
        }
        expectRejected(.unauthorized, "no valid v=<unix milliseconds> timestamp") {
            try provider.authenticate(
                Self.request(
                    Self.vectorBody, header: "d=d869cffb0c9f3840faf13481bd6ca32c0a72e11dcae5e14e65429ae43bf5005a"))
        }
        expectRejected(.unauthorized, "no valid v=<unix milliseconds> timestamp") {
            try provider.authenticate(Self.request(Self.vectorBody, header: "v=17146084759.45,d=d869"))
        }
        expectRejected(.unauthorized, "has no d=<hex digest>") {
            try provider.authenticate(Self.request(Self.vectorBody, header: "v=1714608475945"))
        }
        expectRejected(.unauthorized, "x-retell-signature does not match the body") {
            try provider.authenticate(Self.request(Self.vectorBody, header: "v=1714608475945,d=not-hex"))
        }
        expectRejected(.unauthorized, "does not match") {
            try Self.provider(key: "key_other").authenticate(Self.request(Self.vectorBody, header: Self.vectorHeader))
        }
        // The timestamp is part of the signed message: changing it breaks the signature.
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(
                    Self.vectorBody,
                    header: Self.vectorHeader.replacingOccurrences(of: "v=1714608475945", with: "v=1714608475946")))
        }
    }

    @Test("a tampered body is 401, even a whitespace change (raw bytes are signed)")
    func tamperedBody() {
        let provider = Self.provider()
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(#"{"event":"call_started","call":{"call_id":"abd"}}"#, header: Self.vectorHeader))
        }
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(#"{"event": "call_started","call":{"call_id":"abc"}}"#, header: Self.vectorHeader))
        }
    }

    @Test("timestamps more than 5 minutes away are refused, both ways; the edge is accepted")
    func tolerance() throws {
        let request = Self.request(Self.vectorBody, header: Self.vectorHeader)
        try Self.provider(now: Self.vectorTime.addingTimeInterval(300)).authenticate(request)
        try Self.provider(now: Self.vectorTime.addingTimeInterval(-300)).authenticate(request)
        expectRejected(.unauthorized, "x-retell-signature timestamp is 301 s old") {
            try Self.provider(now: Self.vectorTime.addingTimeInterval(301)).authenticate(request)
        }
        expectRejected(.unauthorized, "x-retell-signature timestamp is 301 s in the future") {
            try Self.provider(now: Self.vectorTime.addingTimeInterval(-301)).authenticate(request)
        }
        // Configurable tolerance.
        let strict = RetellProvider(
            apiKey: Self.key, tolerance: .seconds(10), now: { Self.vectorTime.addingTimeInterval(20) })
        expectRejected(.unauthorized, "at most 10 s") { try strict.authenticate(request) }
    }

    @Test("a signed call_ended normalizes field by field")
    func ended() throws {
        let provider = Self.provider()
        let request = Self.request(Self.endedBody)
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        #expect(
            call
                == NormalizedCall(
                    type: .ended,
                    callId: "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6",
                    clientId: "acme",
                    direction: "outbound",
                    from: "+12137771234",
                    to: "+12137771235",
                    startedAt: Date(timeIntervalSince1970: 1_714_608_475.945),
                    endedAt: Date(timeIntervalSince1970: 1_714_608_525.445),
                    durationSeconds: 50,
                    endReason: "user_hangup",
                    occurredAt: Date(timeIntervalSince1970: 1_714_608_525.445)
                ))
    }

    @Test("call_started → started at start_timestamp; clientId from the query wins over metadata")
    func started() throws {
        let body =
            #"{"event":"call_started","call":{"call_id":"c1","direction":"inbound","from_number":"+1555","to_number":"+1666","start_timestamp":1714608475945,"metadata":{"clientId":"from-metadata"}}}"#
        let call = try expectCall(
            try Self.provider().normalize(Self.request(body, uri: "/webhooks/retell?clientId=from-query")))
        #expect(
            call
                == NormalizedCall(
                    type: .started, callId: "c1", clientId: "from-query", direction: "inbound", from: "+1555",
                    to: "+1666",
                    startedAt: Date(timeIntervalSince1970: 1_714_608_475.945),
                    occurredAt: Date(timeIntervalSince1970: 1_714_608_475.945)
                ))
    }

    @Test(
        "direction: inbound/outbound, and incoming/outgoing as the contract maps for every provider",
        arguments: [
            ("inbound", "inbound"), ("OUTBOUND", "outbound"), ("incoming", "inbound"), ("Outgoing", "outbound"),
            ("sideways", nil),
        ] as [(String, String?)])
    func directions(value: String, expected: String?) throws {
        let body =
            #"{"event":"call_started","call":{"call_id":"c1","direction":"\#(value)","start_timestamp":1714608475945,"metadata":{"clientId":"acme"}}}"#
        let call = try expectCall(try Self.provider().normalize(Self.request(body)))
        #expect(call.direction == expected)
    }

    @Test("without duration_ms the duration is derived; without timestamps occurredAt is the receive time")
    func derived() throws {
        let body =
            #"{"event":"call_ended","call":{"call_id":"c1","start_timestamp":1714608475000,"end_timestamp":1714608485499,"metadata":{"clientId":"acme"}}}"#
        let call = try expectCall(try Self.provider().normalize(Self.request(body)))
        #expect(call.durationSeconds == 10)
        #expect(call.endReason == nil)
        #expect(call.direction == nil)

        let bare = #"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme"}}}"#
        let request = Self.request(bare)
        let bareCall = try expectCall(try Self.provider().normalize(request))
        #expect(bareCall.occurredAt == request.receivedAt)
        #expect(bareCall.startedAt == nil && bareCall.endedAt == nil && bareCall.durationSeconds == nil)
    }

    @Test(
        "call_analyzed and other events are ignored",
        arguments: ["call_analyzed", "transcript_updated", "something_new"])
    func ignored(event: String) throws {
        let reason = ignoredReason(
            try Self.provider().normalize(Self.request(#"{"event":"\#(event)","call":{"call_id":"c1"}}"#)))
        #expect(reason == "Retell event '\(event)' is not a call lifecycle event")
    }

    @Test("missing event, call id or clientId is 422")
    func missingFields() {
        let provider = Self.provider()
        expectRejected(.unprocessableContent, "event is missing") {
            try provider.normalize(Self.request(#"{"call":{"call_id":"c1"}}"#))
        }
        expectRejected(.unprocessableContent, "call.call_id is missing") {
            try provider.normalize(Self.request(#"{"event":"call_ended","call":{"metadata":{"clientId":"acme"}}}"#))
        }
        expectRejected(.unprocessableContent, "call.call_id is missing") {
            try provider.normalize(Self.request(#"{"event":"call_ended"}"#))
        }
        expectRejected(.unprocessableContent, "clientId is missing", "call.metadata.clientId") {
            try provider.normalize(Self.request(#"{"event":"call_ended","call":{"call_id":"c1","metadata":{}}}"#))
        }
    }

    @Test("an invalid clientId is 422")
    func invalidClientId() {
        let provider = Self.provider()
        expectRejected(.unprocessableContent, "clientId from call.metadata.clientId \"acme corp\" is invalid") {
            try provider.normalize(
                Self.request(#"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme corp"}}}"#))
        }
        expectRejected(.unprocessableContent, "clientId from call.metadata.clientId is a number") {
            try provider.normalize(
                Self.request(#"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":42}}}"#))
        }
        expectRejected(.unprocessableContent, "clientId from the clientId query parameter \"a/b\" is invalid") {
            try provider.normalize(
                Self.request(#"{"event":"call_ended","call":{"call_id":"c1"}}"#, uri: "/webhooks/retell?clientId=a%2Fb")
            )
        }
    }

    @Test("a nested member given twice is 400 naming it")
    func duplicateNestedMember() {
        expectRejected(.badRequest, #"member "clientId" appears more than once"#) {
            try Self.provider().normalize(
                Self.request(
                    #"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme","clientId":"globex"}}}"#
                ))
        }
    }

    @Test("bodies that are not Retell's format are 400, naming the field")
    func malformed() {
        let provider = Self.provider()
        expectRejected(.badRequest, "body is not valid JSON") {
            try provider.normalize(Self.request("event=call_ended"))
        }
        expectRejected(.badRequest, "body is an array, not the JSON object Retell sends") {
            try provider.normalize(Self.request("[1]"))
        }
        expectRejected(.badRequest, "event must be a string, not a number") {
            try provider.normalize(Self.request(#"{"event":1}"#))
        }
        expectRejected(.badRequest, "call must be an object, not a string") {
            try provider.normalize(Self.request(#"{"event":"call_ended","call":"c1"}"#))
        }
        expectRejected(.badRequest, "call.call_id must be a string, not a number") {
            try provider.normalize(Self.request(#"{"event":"call_ended","call":{"call_id":7}}"#))
        }
        expectRejected(.badRequest, "call.start_timestamp must be a number, not a string") {
            try provider.normalize(
                Self.request(
                    #"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme"},"start_timestamp":"2024-05-02"}}"#
                ))
        }
        expectRejected(.badRequest, "call.duration_ms must be a non-negative number of milliseconds") {
            try provider.normalize(
                Self.request(
                    #"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme"},"duration_ms":-5}}"#))
        }
        expectRejected(.badRequest, "call.from_number must be a string, not a boolean") {
            try provider.normalize(
                Self.request(
                    #"{"event":"call_ended","call":{"call_id":"c1","metadata":{"clientId":"acme"},"from_number":true}}"#
                ))
        }
    }
}
