import Foundation
import Testing

@testable import Ingest

@Suite("Vapi provider")
struct VapiProviderTests {
    static let secret = "vapi-s3cret"
    let provider = VapiProvider(secret: secret)

    static func request(
        _ body: String, uri: String = "/webhooks/vapi", headers: [(String, String)] = [("X-Vapi-Secret", secret)]
    ) -> WebhookRequest {
        makeRequest(
            uri: uri, headers: [("Content-Type", "application/json")] + headers, body: body,
            receivedAt: Date(timeIntervalSince1970: 1_769_531_000))
    }

    static let endOfCallReport = #"""
        {"message":{"type":"end-of-call-report","timestamp":"2026-01-27T16:13:01.000Z","endedReason":"customer-ended-call",
         "startedAt":"2026-01-27T16:12:10.500Z","endedAt":"2026-01-27T16:13:00.000Z","cost":0.12,
         "artifact":{"transcript":"…"},"analysis":{"summary":"…"},
         "call":{"id":"9f1c-call","orgId":"org","type":"outboundPhoneCall","status":"ended",
                 "phoneNumber":{"number":"+18005551212"},"customer":{"number":"+14155550100"},
                 "assistantOverrides":{"metadata":{"clientId":"acme"}}}}}
        """#

    // MARK: Authentication

    @Test("the secret in X-Vapi-Secret or as a bearer token is accepted")
    func accepted() throws {
        try provider.authenticate(Self.request("{}"))
        try provider.authenticate(Self.request("{}", headers: [("Authorization", "Bearer \(Self.secret)")]))
        try provider.authenticate(Self.request("{}", headers: [("Authorization", "bearer \(Self.secret)")]))
        // One correct credential suffices when both are sent.
        try provider.authenticate(
            Self.request("{}", headers: [("X-Vapi-Secret", "wrong"), ("Authorization", "Bearer \(Self.secret)")]))
    }

    @Test("missing or wrong secrets are 401")
    func refused() {
        expectRejected(.unauthorized, "missing X-Vapi-Secret or Authorization: Bearer header") {
            try provider.authenticate(Self.request("{}", headers: []))
        }
        for headers in [
            [("X-Vapi-Secret", "vapi-s3creT")],
            [("X-Vapi-Secret", "vapi-s3cret-")],
            [("X-Vapi-Secret", "")],
            [("Authorization", "Bearer wrong")],
            [("Authorization", "Basic \(Self.secret)")],
            [("Authorization", Self.secret)],
            [("Authorization", "Bearer ")],
        ] {
            expectRejected(.unauthorized, "does not match the configured Vapi secret") {
                try provider.authenticate(Self.request("{}", headers: headers))
            }
        }
    }

    // MARK: Normalization

    @Test("an end-of-call-report normalizes field by field (outbound: the caller is the business number)")
    func endOfCallReport() throws {
        let request = Self.request(Self.endOfCallReport)
        try provider.authenticate(request)
        let call = try expectCall(try provider.normalize(request))
        #expect(
            call
                == NormalizedCall(
                    type: .ended,
                    callId: "9f1c-call",
                    clientId: "acme",
                    direction: "outbound",
                    from: "+18005551212",
                    to: "+14155550100",
                    startedAt: utc(2026, 1, 27, 16, 12, 10.5),
                    endedAt: utc(2026, 1, 27, 16, 13, 0),
                    durationSeconds: 50,
                    endReason: "customer-ended-call",
                    occurredAt: utc(2026, 1, 27, 16, 13, 1)
                ))
    }

    @Test("durationSeconds, when given, wins over the derived duration")
    func durationSeconds() throws {
        let body = Self.endOfCallReport.replacingOccurrences(of: #""cost":0.12"#, with: #""durationSeconds":12.4"#)
        #expect(try expectCall(try provider.normalize(Self.request(body))).durationSeconds == 12)
        let ms = Self.endOfCallReport.replacingOccurrences(of: #""cost":0.12"#, with: #""durationMs":7500"#)
        #expect(try expectCall(try provider.normalize(Self.request(ms))).durationSeconds == 8)
    }

    @Test("status-update in-progress → started; inbound: the caller is the customer; epoch-ms timestamp")
    func started() throws {
        let body = #"""
            {"message":{"type":"status-update","status":"in-progress","timestamp":1769530331000,
             "call":{"id":"c-2","type":"inboundPhoneCall","customer":{"number":"+14155550100"}},
             "phoneNumber":{"number":"+18005551212"},
             "assistant":{"metadata":{"clientId":"acme"}}}}
            """#
        let call = try expectCall(try provider.normalize(Self.request(body)))
        let at = Date(timeIntervalSince1970: 1_769_530_331)
        #expect(
            call
                == NormalizedCall(
                    type: .started, callId: "c-2", clientId: "acme", direction: "inbound",
                    from: "+14155550100", to: "+18005551212", startedAt: at, occurredAt: at
                ))
    }

    @Test("status-update ended → ended with endedReason; end time from the timestamp")
    func statusEnded() throws {
        let body = #"""
            {"message":{"type":"status-update","status":"ended","endedReason":"silence-timed-out","timestamp":1769530380000,
             "call":{"id":"c-3","type":"webCall","startedAt":"2026-01-27T16:12:00Z","assistant":{"metadata":{"clientId":"acme"}}}}}
            """#
        let call = try expectCall(try provider.normalize(Self.request(body)))
        #expect(call.type == .ended)
        #expect(call.endReason == "silence-timed-out")
        #expect(call.endedAt == Date(timeIntervalSince1970: 1_769_530_380))
        #expect(call.startedAt == utc(2026, 1, 27, 16, 12, 0))
        #expect(call.durationSeconds == 60)
        #expect(call.direction == nil)
        #expect(call.from == nil && call.to == nil)
    }

    @Test("without any time the receive time is used")
    func noTimes() throws {
        let body = #"{"message":{"type":"status-update","status":"in-progress","call":{"id":"c"}}}"#
        let request = Self.request(body, uri: "/webhooks/vapi?clientId=acme")
        let call = try expectCall(try provider.normalize(request))
        #expect(call.occurredAt == request.receivedAt)
        #expect(call.startedAt == nil)
    }

    @Test("other statuses are ignored", arguments: ["scheduled", "queued", "ringing", "forwarding", "not-found"])
    func ignoredStatuses(status: String) throws {
        let body = #"{"message":{"type":"status-update","status":"\#(status)","call":{"id":"c"}}}"#
        #expect(
            ignoredReason(try provider.normalize(Self.request(body)))
                == "Vapi status-update '\(status)' is not a call lifecycle event")
    }

    @Test(
        "other message types are ignored",
        arguments: ["transcript", "function-call", "assistant-request", "hang", "speech-update"])
    func ignoredTypes(type: String) throws {
        let body = #"{"message":{"type":"\#(type)"}}"#
        #expect(
            ignoredReason(try provider.normalize(Self.request(body)))
                == "Vapi message type '\(type)' is not a call lifecycle event")
    }

    @Test(
        "clientId is found in each metadata location",
        arguments: [
            #"{"assistant":{"metadata":{"clientId":"acme"}},"call":{"id":"c"}}"#,
            #"{"call":{"id":"c","assistant":{"metadata":{"clientId":"acme"}}}}"#,
            #"{"call":{"id":"c","assistantOverrides":{"metadata":{"clientId":"acme"}}}}"#,
            #"{"call":{"id":"c","metadata":{"clientId":"acme"}}}"#,
            // Odd shapes are skipped, not fatal.
            #"{"assistant":{"metadata":"x"},"call":{"id":"c","assistant":[1],"metadata":{"clientId":"acme"}}}"#,
        ]
    )
    func clientIdLocations(message: String) throws {
        let body =
            #"{"message":{"type":"status-update","status":"in-progress","#
            + message.dropFirst()
            + "}"
        #expect(try expectCall(try provider.normalize(Self.request(body))).clientId == "acme")
    }

    @Test("the query parameter wins over metadata")
    func queryWins() throws {
        let request = Self.request(Self.endOfCallReport, uri: "/webhooks/vapi?clientId=globex")
        #expect(try expectCall(try provider.normalize(request)).clientId == "globex")
    }

    @Test("missing message, type, status, call id or clientId is 422")
    func missingFields() {
        expectRejected(.unprocessableContent, "message is missing") {
            try provider.normalize(Self.request(#"{"type":"status-update"}"#))
        }
        expectRejected(.unprocessableContent, "message.type is missing") {
            try provider.normalize(Self.request(#"{"message":{"status":"ended"}}"#))
        }
        expectRejected(.unprocessableContent, "message.status is missing") {
            try provider.normalize(Self.request(#"{"message":{"type":"status-update","call":{"id":"c"}}}"#))
        }
        expectRejected(.unprocessableContent, "message.call.id is missing") {
            try provider.normalize(
                Self.request(
                    #"{"message":{"type":"end-of-call-report","call":{"type":"webCall"}}}"#,
                    uri: "/webhooks/vapi?clientId=acme"))
        }
        expectRejected(.unprocessableContent, "message.call.id is missing") {
            try provider.normalize(Self.request(#"{"message":{"type":"end-of-call-report"}}"#))
        }
        expectRejected(.unprocessableContent, "clientId is missing", "assistant's metadata") {
            try provider.normalize(Self.request(#"{"message":{"type":"end-of-call-report","call":{"id":"c"}}}"#))
        }
    }

    @Test("an invalid clientId is 422")
    func invalidClientId() {
        expectRejected(
            .unprocessableContent,
            "clientId from message.call.assistantOverrides.metadata.clientId \"acme!\" is invalid"
        ) {
            try provider.normalize(
                Self.request(
                    #"{"message":{"type":"end-of-call-report","call":{"id":"c","assistantOverrides":{"metadata":{"clientId":"acme!"}}}}}"#
                ))
        }
        expectRejected(.unprocessableContent, "clientId from the clientId query parameter \"a b\" is invalid") {
            try provider.normalize(Self.request(Self.endOfCallReport, uri: "/webhooks/vapi?clientId=a+b"))
        }
    }

    @Test("bodies that are not Vapi's format are 400, naming the field")
    func malformed() {
        expectRejected(.badRequest, "body is not valid JSON") { try provider.normalize(Self.request("{\"message\":")) }
        expectRejected(.badRequest, "body is a string, not the JSON object Vapi sends") {
            try provider.normalize(Self.request("\"hello\""))
        }
        expectRejected(.badRequest, "message must be an object, not an array") {
            try provider.normalize(Self.request(#"{"message":[]}"#))
        }
        expectRejected(.badRequest, "message.type must be a string, not a number") {
            try provider.normalize(Self.request(#"{"message":{"type":3}}"#))
        }
        expectRejected(.badRequest, "message.call.id must be a string, not a number") {
            try provider.normalize(Self.request(#"{"message":{"type":"end-of-call-report","call":{"id":12}}}"#))
        }
        expectRejected(.badRequest, "message.startedAt is not an ISO 8601 date-time") {
            try provider.normalize(
                Self.request(
                    #"{"message":{"type":"end-of-call-report","startedAt":"yesterday","call":{"id":"c","metadata":{"clientId":"a"}}}}"#
                ))
        }
        expectRejected(.badRequest, "message.call.customer must be an object, not a string") {
            try provider.normalize(
                Self.request(
                    #"{"message":{"type":"end-of-call-report","call":{"id":"c","customer":"+1555","metadata":{"clientId":"a"}}}}"#
                ))
        }
    }
}
