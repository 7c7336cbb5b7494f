import Crypto
import Foundation
import Testing

@testable import Ingest

@Suite("Generic provider")
struct GenericProviderTests {
    static let secret = "whsec_test"
    static let timestamp = 1_714_608_475
    static let now = Date(timeIntervalSince1970: Double(timestamp) + 30)

    static func provider(now: Date = now, secret: String = secret) -> GenericProvider {
        GenericProvider(secret: secret, now: { now })
    }

    /// `t=…,v1=…` computed independently of the code under test.
    static func sign(_ body: String, timestamp: Int = timestamp, secret: String = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(mac.map { String(format: "%02x", $0) }.joined())"
    }

    static func request(_ body: String, uri: String = "/webhooks/generic", signature: String? = nil) -> WebhookRequest {
        makeRequest(
            uri: uri, headers: [("Content-Type", "application/json"), ("X-Signature", signature ?? sign(body))],
            body: body, receivedAt: now)
    }

    static let vectorBody = #"{"type":"call.started","callId":"c-1","clientId":"acme"}"#
    static let vectorHeader = "t=1714608475,v1=af079d87933f18222d941abc243d8333378c3033bc0c4fdc115128c9ce741809"

    @Test("a fixed vector (Python hmac) verifies, and is what the signer produces")
    func vector() throws {
        try Self.provider().authenticate(Self.request(Self.vectorBody, signature: Self.vectorHeader))
        #expect(Self.sign(Self.vectorBody) == Self.vectorHeader)
        #expect(
            GenericSignature(secret: Self.secret).header(body: Array(Self.vectorBody.utf8), timestamp: 1_714_608_475)
                == Self.vectorHeader)
    }

    @Test("any one of several v1 entries may match; spaces and unknown keys are tolerated")
    func severalSignatures() throws {
        let digest = "af079d87933f18222d941abc243d8333378c3033bc0c4fdc115128c9ce741809"
        let other = String(repeating: "0", count: 64)
        for header in [
            "t=1714608475,v1=\(other),v1=\(digest)",
            "t=1714608475, v1=\(digest), v0=abc",
            "v1=\(digest),t=1714608475",
            "t=1714608475,v1=\(digest.uppercased())",
        ] {
            try Self.provider().authenticate(Self.request(Self.vectorBody, signature: header))
        }
    }

    @Test("missing, malformed and wrong signatures are 401")
    func signatureFailures() {
        let provider = Self.provider()
        expectRejected(.unauthorized, "missing X-Signature header") {
            try provider.authenticate(
                makeRequest(headers: [("Content-Type", "application/json")], body: Self.vectorBody))
        }
        expectRejected(.unauthorized, "X-Signature has no valid t=<unix seconds> timestamp") {
            try provider.authenticate(Self.request(Self.vectorBody, signature: "v1=af07"))
        }
        expectRejected(.unauthorized, "X-Signature has no valid t=<unix seconds> timestamp") {
            try provider.authenticate(Self.request(Self.vectorBody, signature: "t=soon,v1=af07"))
        }
        expectRejected(.unauthorized, "X-Signature has no v1=<hex HMAC-SHA256> signature") {
            try provider.authenticate(Self.request(Self.vectorBody, signature: "t=1714608475"))
        }
        expectRejected(.unauthorized, "X-Signature does not match the body") {
            try provider.authenticate(Self.request(Self.vectorBody, signature: "t=1714608475,v1=xyz"))
        }
        expectRejected(.unauthorized, "X-Signature does not match the body") {
            try Self.provider(secret: "whsec_other").authenticate(
                Self.request(Self.vectorBody, signature: Self.vectorHeader))
        }
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(
                    Self.vectorBody,
                    signature: Self.vectorHeader.replacingOccurrences(of: "t=1714608475", with: "t=1714608476")))
        }
    }

    @Test("a tampered body is 401")
    func tampered() {
        expectRejected(.unauthorized, "does not match") {
            try Self.provider().authenticate(
                Self.request(
                    Self.vectorBody.replacingOccurrences(of: "acme", with: "evil"), signature: Self.vectorHeader))
        }
    }

    @Test("stale and future timestamps are 401")
    func tolerance() throws {
        let request = Self.request(Self.vectorBody, signature: Self.vectorHeader)
        let sent = Date(timeIntervalSince1970: Double(Self.timestamp))
        try Self.provider(now: sent.addingTimeInterval(300)).authenticate(request)
        try Self.provider(now: sent.addingTimeInterval(-300)).authenticate(request)
        expectRejected(.unauthorized, "X-Signature timestamp is 301 s old") {
            try Self.provider(now: sent.addingTimeInterval(301)).authenticate(request)
        }
        expectRejected(.unauthorized, "X-Signature timestamp is 301 s in the future") {
            try Self.provider(now: sent.addingTimeInterval(-301)).authenticate(request)
        }
    }

    @Test("a signed call.ended normalizes field by field")
    func ended() throws {
        let body =
            #"{"type":"call.ended","callId":"c-1","clientId":"acme","timestamp":"2026-01-27T16:13:00Z","from":"+14155550100","to":"+18005551212","direction":"inbound","durationSeconds":49,"endReason":"completed"}"#
        let request = Self.request(body)
        try Self.provider().authenticate(request)
        let call = try expectCall(try Self.provider().normalize(request))
        #expect(
            call
                == NormalizedCall(
                    type: .ended, callId: "c-1", clientId: "acme", direction: "inbound", from: "+14155550100",
                    to: "+18005551212",
                    startedAt: utc(2026, 1, 27, 16, 12, 11), endedAt: utc(2026, 1, 27, 16, 13, 0), durationSeconds: 49,
                    endReason: "completed", occurredAt: utc(2026, 1, 27, 16, 13, 0)
                ))
    }

    @Test("call.started with a unix-seconds timestamp; query clientId wins over the body")
    func started() throws {
        let body =
            #"{"type":"call.started","callId":"c-2","clientId":"acme","timestamp":1769530331,"from":"+18005551212","to":"+14155550100","direction":"OUTBOUND"}"#
        let call = try expectCall(
            try Self.provider().normalize(Self.request(body, uri: "/webhooks/generic?clientId=globex")))
        let at = Date(timeIntervalSince1970: 1_769_530_331)
        #expect(
            call
                == NormalizedCall(
                    type: .started, callId: "c-2", clientId: "globex", direction: "outbound", from: "+18005551212",
                    to: "+14155550100",
                    startedAt: at, occurredAt: at
                ))
    }

    @Test("optional startedAt/endedAt derive the duration; no timestamp means the receive time")
    func derived() throws {
        let body =
            #"{"type":"call.ended","callId":"c","clientId":"acme","startedAt":"2026-01-27T16:12:00Z","endedAt":1769530380.4,"direction":"sideways"}"#
        let request = Self.request(body)
        let call = try expectCall(try Self.provider().normalize(request))
        #expect(call.durationSeconds == 60)
        #expect(call.direction == nil)
        #expect(call.occurredAt == Date(timeIntervalSince1970: 1_769_530_380.4))

        let bare = Self.request(#"{"type":"call.started","callId":"c","clientId":"acme"}"#)
        let bareCall = try expectCall(try Self.provider().normalize(bare))
        #expect(bareCall.occurredAt == bare.receivedAt)
        #expect(bareCall.startedAt == nil)
    }

    @Test("unknown types are ignored", arguments: ["call.ringing", "call.updated", "CALL.STARTED"])
    func ignored(type: String) throws {
        let reason = ignoredReason(try Self.provider().normalize(Self.request(#"{"type":"\#(type)","callId":"c"}"#)))
        #expect(reason == "type '\(type)' is not call.started or call.ended")
    }

    @Test("missing type, callId or clientId is 422; an invalid clientId too")
    func missingFields() {
        let provider = Self.provider()
        expectRejected(.unprocessableContent, "type is missing") {
            try provider.normalize(Self.request(#"{"callId":"c","clientId":"a"}"#))
        }
        expectRejected(.unprocessableContent, "callId is missing") {
            try provider.normalize(Self.request(#"{"type":"call.ended","clientId":"a"}"#))
        }
        expectRejected(.unprocessableContent, "callId is missing") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":" ","clientId":"a"}"#))
        }
        expectRejected(.unprocessableContent, "clientId is missing", "\"clientId\" in the body") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c"}"#))
        }
        expectRejected(.unprocessableContent, "clientId from the body's clientId \"client:acme\" is invalid") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c","clientId":"client:acme"}"#))
        }
        expectRejected(.unprocessableContent, "clientId from the body's clientId is empty") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c","clientId":""}"#))
        }
    }

    @Test("a member given twice is 400 naming it, authentic or not: the body is ambiguous")
    func duplicateMembers() {
        let provider = Self.provider()
        expectRejected(.badRequest, "body is not valid JSON", #"member "clientId" appears more than once"#) {
            try provider.normalize(
                Self.request(#"{"type":"call.started","callId":"c","clientId":"acme","clientId":"globex"}"#))
        }
        expectRejected(.badRequest, #"member "type" appears more than once"#) {
            try provider.normalize(
                Self.request(#"{"type":"call.started","callId":"c","clientId":"acme","type":"call.ended"}"#))
        }
    }

    @Test("a clientId given twice in the URL is 400, even with the same value")
    func duplicateQueryClientID() {
        expectRejected(.badRequest, "clientId", "more than once") {
            try Self.provider().normalize(
                Self.request(
                    #"{"type":"call.started","callId":"c"}"#, uri: "/webhooks/generic?clientId=acme&clientId=globex"))
        }
        expectRejected(.badRequest, "clientId", "more than once") {
            try Self.provider().normalize(
                Self.request(
                    #"{"type":"call.started","callId":"c"}"#, uri: "/webhooks/generic?clientId=acme&x=1&clientId=acme"))
        }
    }

    @Test("wrong types and unparsable values are 400, naming the field")
    func malformed() {
        let provider = Self.provider()
        expectRejected(.badRequest, "body is not valid JSON") {
            try provider.normalize(Self.request("{'type':'call.ended'}"))
        }
        expectRejected(.badRequest, "body is a number, not the JSON object the generic webhook sends") {
            try provider.normalize(Self.request("42"))
        }
        expectRejected(.badRequest, "callId must be a string, not a number") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":5,"clientId":"a"}"#))
        }
        expectRejected(.badRequest, "clientId must be a string, not a number") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c","clientId":5}"#))
        }
        expectRejected(.badRequest, "timestamp is not an ISO 8601 date-time") {
            try provider.normalize(
                Self.request(#"{"type":"call.ended","callId":"c","clientId":"a","timestamp":"now"}"#))
        }
        expectRejected(.badRequest, "timestamp must be an ISO 8601 string or a number, not a boolean") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c","clientId":"a","timestamp":true}"#))
        }
        expectRejected(.badRequest, "durationSeconds must be a number, not a string") {
            try provider.normalize(
                Self.request(#"{"type":"call.ended","callId":"c","clientId":"a","durationSeconds":"49"}"#))
        }
        expectRejected(.badRequest, "durationSeconds must be a non-negative number of seconds") {
            try provider.normalize(
                Self.request(#"{"type":"call.ended","callId":"c","clientId":"a","durationSeconds":-1}"#))
        }
        expectRejected(.badRequest, "from must be a string, not an object") {
            try provider.normalize(Self.request(#"{"type":"call.ended","callId":"c","clientId":"a","from":{}}"#))
        }
    }
}

@Suite("Provider registry")
struct WebhookProvidersTests {
    @Test("only providers with a configured secret are enabled")
    func enabled() throws {
        var configuration = IngestConfiguration()
        #expect(try WebhookProviders.enabled(by: configuration).isEmpty)
        configuration.secrets.twilioAuthToken = "t"
        configuration.secrets.retellAPIKey = "r"
        configuration.secrets.telnyxPublicKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
            .base64EncodedString()
        #expect(try WebhookProviders.enabled(by: configuration).keys.sorted() == ["retell", "telnyx", "twilio"])
        configuration.secrets.vapiSecret = "v"
        configuration.secrets.genericWebhookSecret = "g"
        let providers = try WebhookProviders.enabled(by: configuration)
        #expect(providers.keys.sorted() == ["generic", "retell", "telnyx", "twilio", "vapi"])
        for (name, provider) in providers {
            #expect(provider.name == name)
            #expect(provider.acceptedContentTypes.contains("application/json"))
        }
    }

    @Test("a bad Telnyx key fails start-up with a clear error")
    func badTelnyxKey() {
        var configuration = IngestConfiguration()
        configuration.secrets.telnyxPublicKey = "abc"
        #expect(throws: SignatureKeyError.self) { _ = try WebhookProviders.enabled(by: configuration) }
    }
}
