import CallEvents
import Crypto
import Foundation
import Testing
import WireFormats

@testable import Ingest

@Suite("Twilio provider")
struct TwilioProviderTests {
    static let token = "12345"
    static let vectorParameters: [(String, String)] = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    static let formContentType = ("Content-Type", "application/x-www-form-urlencoded")

    /// Form-encodes pairs the way Twilio does (`+` as %2B, space as `+`).
    static func form(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: "%20", with: "+")
        }
        return pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// What Twilio signs, computed here independently of the code under test.
    static func sign(url: String, _ pairs: [(String, String)], token: String = token) -> String {
        let sorted = pairs.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        let message = url + sorted.map { $0.0 + $0.1 }.joined()
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(message.utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
    }

    static func request(
        base: String = "https://hooks.example.com",
        uri: String = "/webhooks/twilio?clientId=acme",
        _ pairs: [(String, String)],
        signature: String? = nil,
        receivedAt: Date = Date(timeIntervalSince1970: 1_700_000_000)
    ) -> WebhookRequest {
        let header = signature ?? sign(url: base + uri, pairs)
        return makeRequest(
            uri: uri, headers: [formContentType, ("X-Twilio-Signature", header)], body: form(pairs),
            receivedAt: receivedAt)
    }

    static func completedCall(status: String = "completed", direction: String = "inbound") -> [(String, String)] {
        [
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("CallSid", "CA0123456789abcdef0123456789abcdef"),
            ("CallStatus", status),
            ("From", "+14155550100"),
            ("To", "+18005551212"),
            ("Caller", "+14155550100"),
            ("Called", "+18005551212"),
            ("Direction", direction),
            ("Timestamp", "Tue, 27 Jan 2026 16:13:00 +0000"),
            ("CallDuration", "49"),
            ("SequenceNumber", "3"),
            ("CallbackSource", "call-progress-events"),
        ]
    }

    let provider = TwilioProvider(authToken: token, publicBaseURL: "https://hooks.example.com")

    // MARK: Signature scheme

    @Test("twilio-python's published vector")
    func publishedVector() {
        let signature = TwilioSignature(authToken: "12345")
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        #expect(signature.signature(url: url, parameters: Self.vectorParameters) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(
            TwilioSignature.signedString(url: url, parameters: Self.vectorParameters)
                == "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
        )
    }

    @Test("the vector through the provider: form body, URL rebuilt from the base URL and request URI")
    func publishedVectorThroughProvider() throws {
        let request = makeRequest(
            uri: "/myapp.php?foo=1&bar=2",
            headers: [Self.formContentType, ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")],
            body: Self.form(Self.vectorParameters)
        )
        try TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com").authenticate(request)
        // A trailing slash on the configured base URL does not matter.
        try TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com/").authenticate(request)
        // The base URL configured with the default port still verifies the port-less signature.
        try TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com:443").authenticate(request)
        // Another token does not.
        expectRejected(.unauthorized, "X-Twilio-Signature does not match") {
            try TwilioProvider(authToken: "54321", publicBaseURL: "https://mycompany.com").authenticate(request)
        }
    }

    @Test("a signature over the URL with the default port added is accepted (https :443, http :80)")
    func defaultPortAdded() throws {
        let body = Self.form(Self.vectorParameters)
        // Computed with twilio-python's RequestValidator.compute_signature over the URL with the port.
        let https = makeRequest(
            uri: "/myapp.php?foo=1&bar=2",
            headers: [Self.formContentType, ("X-Twilio-Signature", "kvajT1Ptam85bY51eRf/AJRuM3w=")], body: body)
        try TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com").authenticate(https)
        try TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com:443").authenticate(https)
        let http = makeRequest(
            uri: "/myapp.php?foo=1&bar=2",
            headers: [Self.formContentType, ("X-Twilio-Signature", "0ZXoZLH/DfblKGATFgpif+LLRf4=")], body: body)
        try TwilioProvider(authToken: "12345", publicBaseURL: "http://mycompany.com").authenticate(http)
        // :443 is not the default port of http, so it is not tried.
        expectRejected(.unauthorized, "does not match") {
            try TwilioProvider(authToken: "12345", publicBaseURL: "http://mycompany.com").authenticate(https)
        }
    }

    @Test("a non-default port: accepted with it or with it removed")
    func nonDefaultPort() throws {
        let pairs = Self.completedCall()
        let provider = TwilioProvider(authToken: Self.token, publicBaseURL: "https://hooks.example.com:8443")
        let uri = "/webhooks/twilio?clientId=acme"
        try provider.authenticate(
            Self.request(uri: uri, pairs, signature: Self.sign(url: "https://hooks.example.com:8443" + uri, pairs)))
        try provider.authenticate(
            Self.request(uri: uri, pairs, signature: Self.sign(url: "https://hooks.example.com" + uri, pairs)))
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(uri: uri, pairs, signature: Self.sign(url: "https://hooks.example.com:9443" + uri, pairs)))
        }
    }

    @Test("URL variants, as twilio-python's add_port/remove_port")
    func urlVariants() {
        #expect(
            TwilioSignature.urlVariants("https://a.example/x?y=1") == [
                "https://a.example/x?y=1", "https://a.example:443/x?y=1",
            ])
        #expect(
            TwilioSignature.urlVariants("https://a.example:443/x") == [
                "https://a.example/x", "https://a.example:443/x",
            ])
        #expect(
            TwilioSignature.urlVariants("https://a.example:8443/x") == [
                "https://a.example/x", "https://a.example:8443/x",
            ])
        #expect(TwilioSignature.urlVariants("http://a.example") == ["http://a.example", "http://a.example:80"])
        #expect(
            TwilioSignature.urlVariants("http://a.example?q=1:2") == [
                "http://a.example?q=1:2", "http://a.example:80?q=1:2",
            ])
        #expect(TwilioSignature.urlVariants("http://[::1]:8080/p") == ["http://[::1]/p", "http://[::1]:8080/p"])
        #expect(
            TwilioSignature.urlVariants("http://user:pw@a.example/p") == [
                "http://user:pw@a.example/p", "http://user:pw@a.example:80/p",
            ])
        #expect(TwilioSignature.urlVariants("not a url") == ["not a url"])
    }

    @Test("repeated parameters: sorted by name, then value; twilio-python's de-duplicated form also accepted")
    func repeatedParameters() throws {
        let pairs = [("CallSid", "CA1"), ("Digits", "2"), ("Digits", "1"), ("Digits", "1")]
        let url = "https://mycompany.com/myapp.php?clientId=acme"
        #expect(TwilioSignature.signedString(url: url, parameters: pairs) == url + "CallSidCA1Digits1Digits1Digits2")
        #expect(
            TwilioSignature.signedString(url: url, parameters: pairs, deduplicatingValues: true) == url
                + "CallSidCA1Digits1Digits2")
        let provider = TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com")
        func request(_ signature: String) -> WebhookRequest {
            makeRequest(
                uri: "/myapp.php?clientId=acme", headers: [Self.formContentType, ("X-Twilio-Signature", signature)],
                body: Self.form(pairs))
        }
        // twilio-python (sorted(set(values))).
        try provider.authenticate(request("2H4LeobWvDBzLadZMsQ2Jlthy0U="))
        // Every value kept (twilio-node style), computed independently.
        try provider.authenticate(request(Self.sign(url: url, pairs, token: "12345")))
        // Values in arrival order instead of sorted: refused.
        let unsorted = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data((url + "CallSidCA1Digits2Digits1Digits1").utf8), using: SymmetricKey(data: Data("12345".utf8)))
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(request(Data(unsorted).base64EncodedString()))
        }
    }

    @Test("JSON mode: twilio-python's bodySHA256 vector")
    func jsonBodyVector() throws {
        let provider = TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com")
        let body = "{\"property\": \"value\", \"boolean\": true}"
        let uri = "/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        let headers = [("Content-Type", "application/json"), ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4=")]
        try provider.authenticate(makeRequest(uri: uri, headers: headers, body: body))
        try provider.authenticate(
            makeRequest(
                uri: uri, headers: [("Content-Type", "application/json; charset=utf-8"), headers[1]], body: body))

        expectRejected(.unauthorized, "bodySHA256 does not match the body") {
            try provider.authenticate(
                makeRequest(uri: uri, headers: headers, body: "{\"property\": \"value\", \"boolean\": false}"))
        }
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                makeRequest(uri: uri.replacingOccurrences(of: "foo=1", with: "foo=2"), headers: headers, body: body))
        }
    }

    @Test("JSON mode without bodySHA256, or with a bad one, is refused")
    func jsonBodyWithoutHash() {
        let provider = TwilioProvider(authToken: "12345", publicBaseURL: "https://mycompany.com")
        let uri = "/myapp.php?foo=1&bar=2"
        let signature = Self.sign(url: "https://mycompany.com" + uri, [], token: "12345")
        expectRejected(.unauthorized, "bodySHA256") {
            try provider.authenticate(
                makeRequest(
                    uri: uri, headers: [("Content-Type", "application/json"), ("X-Twilio-Signature", signature)],
                    body: "{}"))
        }
        let badURI = "/myapp.php?bodySHA256=xyz"
        let badSignature = Self.sign(url: "https://mycompany.com" + badURI, [], token: "12345")
        expectRejected(.unauthorized, "bodySHA256 is not a hex SHA-256 digest") {
            try provider.authenticate(
                makeRequest(
                    uri: badURI, headers: [("Content-Type", "application/json"), ("X-Twilio-Signature", badSignature)],
                    body: "{}"))
        }
    }

    @Test("JSON mode: a signed delivery normalizes like a form one")
    func jsonBodyNormalizes() throws {
        let body =
            #"{"CallSid":"CA42","CallStatus":"completed","From":"+14155550100","To":"+18005551212","Direction":"outbound-api","Timestamp":"Tue, 27 Jan 2026 16:13:00 +0000","CallDuration":12,"SequenceNumber":2,"AnsweredBy":null}"#
        let hash = Hex.lowercase(SHA256.hash(data: Data(body.utf8)))
        let uri = "/webhooks/twilio?clientId=acme&bodySHA256=\(hash)"
        let request = makeRequest(
            uri: uri,
            headers: [
                ("Content-Type", "application/json"),
                ("X-Twilio-Signature", Self.sign(url: "https://hooks.example.com" + uri, [])),
            ],
            body: body
        )
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        #expect(call.type == .ended)
        #expect(call.callId == "CA42")
        #expect(call.clientId == "acme")
        #expect(call.direction == "outbound")
        #expect(call.durationSeconds == 12)
        #expect(call.endedAt == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(call.startedAt == Date(timeIntervalSince1970: 1_769_530_368))

        expectRejected(.badRequest, "CallSid must be a string, not an object") {
            try provider.normalize(
                makeRequest(
                    uri: uri, headers: [("Content-Type", "application/json")],
                    body: #"{"CallSid":{"a":1},"CallStatus":"completed"}"#))
        }
        expectRejected(.badRequest, "not valid JSON") {
            try provider.normalize(
                makeRequest(uri: uri, headers: [("Content-Type", "application/json")], body: "CallSid=CA1"))
        }
    }

    // MARK: Authentication failures

    @Test("missing, wrong and empty signatures are 401")
    func signatureFailures() {
        let pairs = Self.completedCall()
        expectRejected(.unauthorized, "missing X-Twilio-Signature header") {
            try provider.authenticate(
                makeRequest(
                    uri: "/webhooks/twilio?clientId=acme", headers: [Self.formContentType], body: Self.form(pairs)))
        }
        expectRejected(.unauthorized, "X-Twilio-Signature does not match", "PUBLIC_BASE_URL") {
            try provider.authenticate(Self.request(pairs, signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8="))
        }
        expectRejected(.unauthorized, "X-Twilio-Signature header is empty") {
            try provider.authenticate(Self.request(pairs, signature: ""))
        }
        // Signed with another token.
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(
                Self.request(
                    pairs,
                    signature: Self.sign(
                        url: "https://hooks.example.com/webhooks/twilio?clientId=acme", pairs, token: "other")))
        }
    }

    @Test("a tampered body or URL fails the signature")
    func tampering() {
        let pairs = Self.completedCall()
        let signature = Self.sign(url: "https://hooks.example.com/webhooks/twilio?clientId=acme", pairs)
        var tampered = pairs
        tampered[2] = ("CallStatus", "busy")
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(Self.request(tampered, signature: signature))
        }
        let extra = pairs + [("Injected", "1")]
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(Self.request(extra, signature: signature))
        }
        // The clientId in the URL is signed too.
        expectRejected(.unauthorized, "does not match") {
            try provider.authenticate(Self.request(uri: "/webhooks/twilio?clientId=evil", pairs, signature: signature))
        }
        // The configured public URL must be the one Twilio called.
        expectRejected(.unauthorized, "does not match") {
            try TwilioProvider(authToken: Self.token, publicBaseURL: "https://other.example.com").authenticate(
                Self.request(pairs))
        }
    }

    // MARK: Normalization

    @Test("a signed completed inbound call normalizes field by field")
    func completedInbound() throws {
        let request = Self.request(Self.completedCall(), receivedAt: Date(timeIntervalSince1970: 1_769_530_999))
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        let ended = Date(timeIntervalSince1970: 1_769_530_380)
        #expect(
            call
                == NormalizedCall(
                    type: .ended,
                    callId: "CA0123456789abcdef0123456789abcdef",
                    clientId: "acme",
                    direction: "inbound",
                    from: "+14155550100",
                    to: "+18005551212",
                    startedAt: ended.addingTimeInterval(-49),
                    endedAt: ended,
                    durationSeconds: 49,
                    endReason: "completed",
                    occurredAt: ended
                ))
    }

    @Test("in-progress outbound-api → started; the caller is the business number")
    func startedOutbound() throws {
        let pairs: [(String, String)] = [
            ("CallSid", "CA9"), ("CallStatus", "in-progress"), ("From", "+18005551212"), ("To", "+14155550100"),
            ("Direction", "outbound-api"), ("Timestamp", "Tue, 27 Jan 2026 16:12:11 +0000"), ("SequenceNumber", "1"),
        ]
        let request = Self.request(pairs)
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        let started = Date(timeIntervalSince1970: 1_769_530_331)
        #expect(
            call
                == NormalizedCall(
                    type: .started, callId: "CA9", clientId: "acme", direction: "outbound",
                    from: "+18005551212", to: "+14155550100", startedAt: started, occurredAt: started
                ))
    }

    @Test("answered → started", arguments: ["answered", "in-progress", "In-Progress"])
    func startedStatuses(status: String) throws {
        let call = try expectCall(try provider.normalize(Self.request([("CallSid", "CA1"), ("CallStatus", status)])))
        #expect(call.type == .started)
        #expect(call.endReason == nil)
        #expect(call.durationSeconds == nil)
    }

    @Test(
        "ended statuses carry the status as end reason",
        arguments: ["completed", "busy", "failed", "no-answer", "canceled"])
    func endedStatuses(status: String) throws {
        let call = try expectCall(try provider.normalize(Self.request(Self.completedCall(status: status))))
        #expect(call.type == .ended)
        #expect(call.endReason == status)
    }

    @Test(
        "statuses without a lifecycle event are ignored",
        arguments: ["queued", "initiated", "ringing", "something-new"])
    func ignoredStatuses(status: String) throws {
        let reason = ignoredReason(try provider.normalize(Self.request([("CallSid", "CA1"), ("CallStatus", status)])))
        #expect(reason == "Twilio CallStatus '\(status)' is not a call lifecycle event")
    }

    @Test(
        "Direction values map to inbound/outbound",
        arguments: [
            ("inbound", "inbound"), ("outbound-api", "outbound"), ("outbound-dial", "outbound"),
            ("trunking-terminating", "outbound"), ("trunking-originating", "inbound"), ("sideways", nil),
        ] as [(String, String?)]
    )
    func directions(value: String, expected: String?) throws {
        let call = try expectCall(try provider.normalize(Self.request(Self.completedCall(direction: value))))
        #expect(call.direction == expected)
    }

    @Test("without Timestamp: occurredAt is the receive time, no end time; Caller/Called fill From/To")
    func noTimestamp() throws {
        let received = Date(timeIntervalSince1970: 1_769_600_000)
        let pairs = [
            ("CallSid", "CA1"), ("CallStatus", "completed"), ("CallDuration", "5"), ("Caller", "+1555"),
            ("Called", "+1666"),
        ]
        let call = try expectCall(try provider.normalize(Self.request(pairs, receivedAt: received)))
        #expect(call.occurredAt == received)
        #expect(call.endedAt == nil)
        #expect(call.startedAt == nil)
        #expect(call.durationSeconds == 5)
        #expect(call.from == "+1555")
        #expect(call.to == "+1666")
        #expect(call.direction == nil)
    }

    @Test("missing CallSid, CallStatus or clientId is 422")
    func missingFields() {
        expectRejected(.unprocessableContent, "CallSid is missing") {
            try provider.normalize(Self.request([("CallStatus", "completed")]))
        }
        expectRejected(.unprocessableContent, "CallStatus is missing") {
            try provider.normalize(Self.request([("CallSid", "CA1")]))
        }
        expectRejected(.unprocessableContent, "CallStatus is missing") {
            try provider.normalize(Self.request([("CallSid", "CA1"), ("CallStatus", "")]))
        }
        expectRejected(.unprocessableContent, "clientId is missing", "?clientId=") {
            try provider.normalize(Self.request(uri: "/webhooks/twilio", Self.completedCall()))
        }
    }

    @Test("an invalid clientId is 422 with the rule")
    func invalidClientId() {
        expectRejected(
            .unprocessableContent, "clientId from the clientId query parameter \"acme corp\" is invalid",
            "A-Z, a-z, 0-9"
        ) {
            try provider.normalize(Self.request(uri: "/webhooks/twilio?clientId=acme%20corp", Self.completedCall()))
        }
        expectRejected(.unprocessableContent, "clientId from the clientId query parameter is empty") {
            try provider.normalize(Self.request(uri: "/webhooks/twilio?clientId=", Self.completedCall()))
        }
        expectRejected(.unprocessableContent, "is invalid") {
            try provider.normalize(
                Self.request(
                    uri: "/webhooks/twilio?clientId=" + String(repeating: "a", count: 129), Self.completedCall()))
        }
    }

    @Test("unparsable forms and values are 400")
    func malformed() {
        func raw(_ body: String) -> WebhookRequest {
            makeRequest(uri: "/webhooks/twilio?clientId=acme", headers: [Self.formContentType], body: body)
        }
        expectRejected(.badRequest, "not form-urlencoded", "is not name=value") {
            try provider.normalize(raw(#"{"CallSid":"CA1","CallStatus":"completed"}"#))
        }
        expectRejected(.badRequest, "bad %-escape") {
            try provider.normalize(raw("CallSid=CA%ZZ1&CallStatus=completed"))
        }
        expectRejected(.badRequest, "a parameter has no name") {
            try provider.normalize(raw("=x&CallSid=CA1&CallStatus=completed"))
        }
        expectRejected(.badRequest, "not UTF-8") {
            try provider.normalize(
                makeRequest(
                    uri: "/webhooks/twilio?clientId=acme", headers: [Self.formContentType],
                    bytes: [0x43, 0x3D, 0xFF, 0xFE]))
        }
        expectRejected(.badRequest, "bad %-escape") {
            try provider.normalize(raw("CallSid=CA1&CallStatus=completed&From=%FF"))
        }
        expectRejected(.badRequest, "Timestamp is not an RFC 2822 date", "2026-01-27T16:13:00Z") {
            try provider.normalize(raw("CallSid=CA1&CallStatus=completed&Timestamp=2026-01-27T16:13:00Z"))
        }
        expectRejected(.badRequest, "CallDuration must be a whole number of seconds, not \"4.5\"") {
            try provider.normalize(raw("CallSid=CA1&CallStatus=completed&CallDuration=4.5"))
        }
    }

    @Test(
        "a field Ingest reads, given twice with different values, is 400 naming it",
        arguments: [
            ("CallSid", "CA-other"), ("CallStatus", "in-progress"), ("From", "+14155550199"), ("To", "+18005550000"),
            ("Direction", "outbound-api"), ("Timestamp", "Tue, 27 Jan 2026 16:14:00 +0000"), ("CallDuration", "7"),
        ]
    )
    func repeatedField(_ name: String, _ otherValue: String) {
        expectRejected(.badRequest, "\(name) is given more than once") {
            try provider.normalize(Self.request(Self.completedCall() + [(name, otherValue)]))
        }
    }

    @Test("repeats that are not ambiguous are accepted: the same value again, or a field Ingest does not read")
    func harmlessRepeats() throws {
        var pairs = Self.completedCall()
        pairs += [("CallSid", "CA0123456789abcdef0123456789abcdef"), ("Digits", "1"), ("Digits", "2")]
        guard case .call(let call) = try provider.normalize(Self.request(pairs)) else {
            Issue.record("not normalized to a call")
            return
        }
        #expect(call.callId == "CA0123456789abcdef0123456789abcdef")
    }

    @Test("accepts form and JSON content types")
    func contentTypes() {
        #expect(provider.name == "twilio")
        #expect(provider.acceptedContentTypes == ["application/x-www-form-urlencoded", "application/json"])
    }
}
