import Crypto
import Foundation
import Testing
import WireFormats

@testable import Ingest

@Suite("Telnyx provider")
struct TelnyxProviderTests {
    static let timestamp = 1_714_608_475
    static let now = Date(timeIntervalSince1970: Double(timestamp) + 10)

    /// A key pair made for this test run.
    let key = Curve25519.Signing.PrivateKey()

    func provider(now: Date = Self.now) throws -> TelnyxProvider {
        try TelnyxProvider(publicKey: key.publicKey.rawRepresentation.base64EncodedString(), now: { now })
    }

    func request(
        _ body: String, uri: String = "/webhooks/telnyx", timestamp: Int = Self.timestamp,
        signer: Curve25519.Signing.PrivateKey? = nil, signedBody: String? = nil
    ) throws -> WebhookRequest {
        let message = Data("\(timestamp)|\(signedBody ?? body)".utf8)
        let signature = try (signer ?? key).signature(for: message).base64EncodedString()
        return makeRequest(
            uri: uri,
            headers: [
                ("Content-Type", "application/json"), ("telnyx-signature-ed25519", signature),
                ("telnyx-timestamp", String(timestamp)),
            ],
            body: body,
            receivedAt: Self.now
        )
    }

    static let hangup = #"""
        {"data":{"record_type":"event","event_type":"call.hangup","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
         "occurred_at":"2026-01-27T16:13:00.521992Z",
         "payload":{"call_control_id":"v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg","call_leg_id":"leg","call_session_id":"session",
                    "client_state":"eyJjbGllbnRJZCI6ImFjbWUifQ==","from":"+14155550100","to":"+18005551212","direction":"incoming",
                    "state":"hangup","start_time":"2026-01-27T16:12:11.021992Z","end_time":"2026-01-27T16:13:00.521992Z",
                    "hangup_cause":"normal_clearing","hangup_source":"caller"}},
         "meta":{"attempt":1,"delivered_to":"https://hooks.example.com/webhooks/telnyx"}}
        """#

    // MARK: Signature scheme

    @Test("a fixed vector made with PyNaCl verifies")
    func pynaclVector() throws {
        let provider = try TelnyxProvider(publicKey: "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", now: { Self.now })
        let body =
            #"{"data":{"event_type":"call.answered","payload":{"call_control_id":"v3:abc","client_state":"YWNtZQ=="}}}"#
        let request = makeRequest(
            headers: [
                (
                    "telnyx-signature-ed25519",
                    "bjdEZ0fe5gSPJw566HtJO8v33M21civS5nj31lUIkJgzZIWIYNJu3vxEZTi+w3Wz6cpwYoz/ENdkWAF8Oy9zCA=="
                ),
                ("telnyx-timestamp", "1714608475"),
            ],
            body: body
        )
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        #expect(call.type == .started)
        #expect(call.callId == "v3:abc")
        #expect(call.clientId == "acme")
    }

    @Test("a delivery signed with the test's own key verifies")
    func generatedKey() throws {
        try provider().authenticate(try request(Self.hangup))
    }

    @Test("a bad public key is a clear configuration error")
    func badKey() {
        #expect(
            throws: SignatureKeyError(
                "TELNYX_PUBLIC_KEY is not base64 (expected the base64 of the 32-byte Ed25519 public key from the Telnyx portal)"
            )
        ) {
            _ = try TelnyxProvider(publicKey: "not base64!")
        }
        #expect(throws: SignatureKeyError("TELNYX_PUBLIC_KEY decodes to 31 bytes; an Ed25519 public key is 32 bytes")) {
            _ = try TelnyxProvider(publicKey: Data(repeating: 1, count: 31).base64EncodedString())
        }
        #expect(throws: SignatureKeyError("TELNYX_PUBLIC_KEY decodes to 0 bytes; an Ed25519 public key is 32 bytes")) {
            _ = try TelnyxProvider(publicKey: "")
        }
    }

    @Test("missing headers, bad encodings and wrong signatures are 401")
    func signatureFailures() throws {
        let provider = try provider()
        let good = try request(Self.hangup)
        var noSignature = good
        noSignature.headers[.init("telnyx-signature-ed25519")!] = nil
        expectRejected(.unauthorized, "missing telnyx-signature-ed25519 header") {
            try provider.authenticate(noSignature)
        }
        var noTimestamp = good
        noTimestamp.headers[.init("telnyx-timestamp")!] = nil
        expectRejected(.unauthorized, "missing telnyx-timestamp header") { try provider.authenticate(noTimestamp) }
        var badTimestamp = good
        badTimestamp.headers[.init("telnyx-timestamp")!] = "2024-05-02T00:00:00Z"
        expectRejected(.unauthorized, "telnyx-timestamp is not unix seconds") {
            try provider.authenticate(badTimestamp)
        }
        var badSignature = good
        badSignature.headers[.init("telnyx-signature-ed25519")!] = "%%%"
        expectRejected(.unauthorized, "telnyx-signature-ed25519 is not base64") {
            try provider.authenticate(badSignature)
        }

        expectRejected(.unauthorized, "telnyx-signature-ed25519 does not match the body") {
            try provider.authenticate(try request(Self.hangup, signer: Curve25519.Signing.PrivateKey()))
        }
        // The timestamp is signed: another one within the window fails.
        var shifted = good
        shifted.headers[.init("telnyx-timestamp")!] = String(Self.timestamp + 1)
        expectRejected(.unauthorized, "does not match") { try provider.authenticate(shifted) }
    }

    @Test("a tampered body is 401")
    func tampered() throws {
        let provider = try provider()
        let tampered = Self.hangup.replacingOccurrences(of: "normal_clearing", with: "user_busy")
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(try request(tampered, signedBody: Self.hangup))
        }
    }

    @Test("stale and future timestamps are 401; the edges are accepted")
    func tolerance() throws {
        let request = try request(Self.hangup)
        let sent = Date(timeIntervalSince1970: Double(Self.timestamp))
        try provider(now: sent.addingTimeInterval(300)).authenticate(request)
        try provider(now: sent.addingTimeInterval(-300)).authenticate(request)
        expectRejected(.unauthorized, "telnyx-timestamp is 301 s old") {
            try provider(now: sent.addingTimeInterval(301)).authenticate(request)
        }
        expectRejected(.unauthorized, "telnyx-timestamp is 3600 s in the future") {
            try provider(now: sent.addingTimeInterval(-3600)).authenticate(request)
        }
    }

    // MARK: Normalization

    @Test("a signed call.hangup normalizes field by field")
    func hangup() throws {
        let provider = try provider()
        let request = try request(Self.hangup)
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        let ended = try #require(ISO8601DateTime.parse("2026-01-27T16:13:00.521992Z"))
        #expect(
            call
                == NormalizedCall(
                    type: .ended,
                    callId: "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
                    clientId: "acme",
                    direction: "inbound",
                    from: "+14155550100",
                    to: "+18005551212",
                    startedAt: ISO8601DateTime.parse("2026-01-27T16:12:11.021992Z"),
                    endedAt: ended,
                    durationSeconds: 50,
                    endReason: "normal_clearing",
                    occurredAt: ended,
                    providerEventID: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"
                ))
        #expect(abs(ended.timeIntervalSince(utc(2026, 1, 27, 16, 13, 0)) - 0.521992) < 0.000_01)
    }

    @Test("call.answered → started at start_time; outgoing → outbound")
    func answered() throws {
        let body =
            #"{"data":{"event_type":"call.answered","occurred_at":"2026-01-27T16:12:11.5Z","payload":{"call_control_id":"v3:x","from":"+18005551212","to":"+14155550100","direction":"outgoing","start_time":"2026-01-27T16:12:10Z"}}}"#
        let call = try expectCall(try provider().normalize(try request(body, uri: "/webhooks/telnyx?clientId=acme")))
        #expect(
            call
                == NormalizedCall(
                    type: .started, callId: "v3:x", clientId: "acme", direction: "outbound", from: "+18005551212",
                    to: "+14155550100",
                    startedAt: utc(2026, 1, 27, 16, 12, 10), occurredAt: utc(2026, 1, 27, 16, 12, 11.5)
                ))
    }

    @Test("call id falls back to call_session_id, then call_leg_id")
    func callIdFallback() throws {
        let provider = try provider()
        let session = #"{"data":{"event_type":"call.hangup","payload":{"call_session_id":"s-1","call_leg_id":"l-1"}}}"#
        #expect(
            try expectCall(try provider.normalize(try request(session, uri: "/webhooks/telnyx?clientId=acme"))).callId
                == "s-1")
        let leg = #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"","call_leg_id":"l-1"}}}"#
        #expect(
            try expectCall(try provider.normalize(try request(leg, uri: "/webhooks/telnyx?clientId=acme"))).callId
                == "l-1")
    }

    @Test(
        "client_state: base64 of a JSON object with clientId, or of the clientId itself",
        arguments: [
            ("eyJjbGllbnRJZCI6ImFjbWUifQ==", "acme"),  // {"clientId":"acme"}
            ("eyJjbGllbnRJZCI6ImFjbWUifQ", "acme"),  // same, unpadded
            ("YWNtZS1ldS4x", "acme-eu.1"),  // acme-eu.1
        ]
    )
    func clientState(state: String, expected: String) throws {
        let body =
            #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c","client_state":"\#(state)"}}}"#
        #expect(try expectCall(try provider().normalize(try request(body))).clientId == expected)
    }

    @Test("the query parameter wins, even over an unreadable client_state")
    func queryWins() throws {
        let body = #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c","client_state":"!!!"}}}"#
        #expect(
            try expectCall(try provider().normalize(try request(body, uri: "/webhooks/telnyx?clientId=globex")))
                .clientId == "globex")
    }

    @Test("ignored event types", arguments: ["call.initiated", "call.bridged", "call.recording.saved"])
    func ignored(type: String) throws {
        let body = #"{"data":{"event_type":"\#(type)","payload":{"call_control_id":"c"}}}"#
        #expect(
            ignoredReason(try provider().normalize(try request(body)))
                == "Telnyx event_type '\(type)' is not a call lifecycle event")
    }

    @Test("missing data, event type, call id or clientId is 422; a bad client_state too")
    func missingFields() throws {
        let provider = try provider()
        func normalize(_ body: String) throws -> WebhookRequest { try request(body) }
        let noData = try normalize(#"{"meta":{}}"#)
        expectRejected(.unprocessableContent, "data is missing") { try provider.normalize(noData) }
        let noType = try normalize(#"{"data":{"payload":{}}}"#)
        expectRejected(.unprocessableContent, "data.event_type is missing") { try provider.normalize(noType) }
        let noId = try normalize(#"{"data":{"event_type":"call.hangup","payload":{"client_state":"YWNtZQ=="}}}"#)
        expectRejected(.unprocessableContent, "data.payload.call_control_id is missing", "call_session_id") {
            try provider.normalize(noId)
        }
        let noPayload = try normalize(#"{"data":{"event_type":"call.hangup"}}"#)
        expectRejected(.unprocessableContent, "data.payload.call_control_id is missing") {
            try provider.normalize(noPayload)
        }
        let noClient = try normalize(#"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c"}}}"#)
        expectRejected(.unprocessableContent, "clientId is missing", "client_state") {
            try provider.normalize(noClient)
        }
        let notBase64 = try normalize(
            #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c","client_state":"!!!"}}}"#)
        expectRejected(.unprocessableContent, "data.payload.client_state is not base64") {
            try provider.normalize(notBase64)
        }
        // {"other":1}
        let objectWithout = try normalize(
            #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c","client_state":"eyJvdGhlciI6MX0="}}}"#
        )
        expectRejected(.unprocessableContent, "decodes to a JSON object without clientId") {
            try provider.normalize(objectWithout)
        }
        // "acme corp"
        let invalid = try normalize(
            #"{"data":{"event_type":"call.hangup","payload":{"call_control_id":"c","client_state":"YWNtZSBjb3Jw"}}}"#)
        expectRejected(.unprocessableContent, "clientId from data.payload.client_state \"acme corp\" is invalid") {
            try provider.normalize(invalid)
        }
    }

    @Test("bodies that are not Telnyx's format are 400")
    func malformed() throws {
        let provider = try provider()
        let notJSON = try request("data=1")
        expectRejected(.badRequest, "body is not valid JSON") { try provider.normalize(notJSON) }
        let dataString = try request(#"{"data":"call.hangup"}"#)
        expectRejected(.badRequest, "data must be an object, not a string") { try provider.normalize(dataString) }
        let payloadArray = try request(#"{"data":{"event_type":"call.hangup","payload":[]}}"#)
        expectRejected(.badRequest, "data.payload must be an object, not an array") {
            try provider.normalize(payloadArray)
        }
        let badTime = try request(
            #"{"data":{"event_type":"call.hangup","occurred_at":"1714608475","payload":{"call_control_id":"c","client_state":"YWNtZQ=="}}}"#
        )
        expectRejected(.badRequest, "data.occurred_at is not an ISO 8601 date-time") { try provider.normalize(badTime) }
        let numericTime = try request(
            #"{"data":{"event_type":"call.hangup","occurred_at":1714608475,"payload":{"call_control_id":"c","client_state":"YWNtZQ=="}}}"#
        )
        expectRejected(.badRequest, "data.occurred_at must be an ISO 8601 string, not a number") {
            try provider.normalize(numericTime)
        }
    }
}
