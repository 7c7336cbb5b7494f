import CallEvents
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KafkaClient
import Logging
import Prometheus
import ServerSupport
import Testing

@testable import Ingest

/// Ingest's application as `buildApplication` makes it, over an in-memory event bus, through
/// Hummingbird's router (`app.test(.router)`): each answer of the contract's webhook table
/// that the application gives, the records it publishes, dead letters, readiness.
///
/// 408 and 431, and 503 at the connection cap, are answered by the connection guard before
/// a request reaches the application: Tests/Integration tests them against the real process,
/// as it does everything here over real connections and a real broker.
@Suite("Ingest application")
struct IngestApplicationTests {
    static let hashKey = "caller-hash-key-for-tests"
    static let telnyxKey = Curve25519.Signing.PrivateKey()

    /// Every provider enabled; Twilio signs the public URL.
    static var configuration: IngestConfiguration {
        var configuration = IngestConfiguration()
        configuration.publicBaseURL = "https://hooks.example.com"
        configuration.maxBodyBytes = 4096
        configuration.secrets = IngestConfiguration.Secrets(
            twilioAuthToken: TwilioProviderTests.token,
            vapiSecret: VapiProviderTests.secret,
            retellAPIKey: RetellProviderTests.key,
            telnyxPublicKey: telnyxKey.publicKey.rawRepresentation.base64EncodedString(),
            genericWebhookSecret: GenericProviderTests.secret,
            callerHashKey: hashKey
        )
        return configuration
    }

    /// Runs `test` against the application built over `bus`.
    @discardableResult
    static func withApplication<Value: Sendable>(
        _ configuration: IngestConfiguration = configuration,
        bus: InMemoryEventBus = InMemoryEventBus(),
        metricsRegistry: PrometheusCollectorRegistry? = nil,
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let logger = Logger(label: "callbridge.ingest.test") { _ in SwiftLogNoOpLogHandler() }
        let app = try await buildApplication(configuration, bus: bus, metricsRegistry: metricsRegistry, logger: logger)
        return try await app.test(.router) { client in try await test(client) }
    }

    // MARK: Deliveries, signed as each provider signs them, at the current time

    /// A webhook as a provider sends it.
    struct Delivery: Sendable {
        var path: String
        var headers: HTTPFields
        var body: String
    }

    static var unixSeconds: Int { Int(Date().timeIntervalSince1970) }

    static func generic(_ body: String, path: String = "/webhooks/generic", signature: String? = nil) -> Delivery {
        Delivery(
            path: path,
            headers: [
                .contentType: "application/json",
                HTTPField.Name("X-Signature")!: signature ?? GenericProviderTests.sign(body, timestamp: unixSeconds),
            ],
            body: body
        )
    }

    static func twilio(_ pairs: [(String, String)], path: String = "/webhooks/twilio?clientId=acme") -> Delivery {
        Delivery(
            path: path,
            headers: [
                .contentType: "application/x-www-form-urlencoded",
                HTTPField.Name("X-Twilio-Signature")!: TwilioProviderTests.sign(
                    url: "https://hooks.example.com" + path, pairs),
            ],
            body: TwilioProviderTests.form(pairs)
        )
    }

    static func vapi(_ body: String) -> Delivery {
        Delivery(
            path: "/webhooks/vapi",
            headers: [.contentType: "application/json", HTTPField.Name("X-Vapi-Secret")!: VapiProviderTests.secret],
            body: body)
    }

    static func retell(_ body: String) -> Delivery {
        let signature = RetellProviderTests.sign(body, milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        return Delivery(
            path: "/webhooks/retell",
            headers: [.contentType: "application/json", HTTPField.Name("x-retell-signature")!: signature], body: body)
    }

    static func telnyx(_ body: String) throws -> Delivery {
        let timestamp = unixSeconds
        let signature = try telnyxKey.signature(for: Data("\(timestamp)|\(body)".utf8)).base64EncodedString()
        return Delivery(
            path: "/webhooks/telnyx",
            headers: [
                .contentType: "application/json",
                HTTPField.Name("telnyx-signature-ed25519")!: signature,
                HTTPField.Name("telnyx-timestamp")!: String(timestamp),
            ],
            body: body
        )
    }

    /// A generic `call.started` with both numbers in full.
    static func startedBody(callId: String = "call-1", clientId: String = "acme") -> String {
        #"{"type":"call.started","callId":"\#(callId)","clientId":"\#(clientId)","timestamp":1714608475,"from":"+14155550100","to":"+18005551212","direction":"inbound"}"#
    }

    // MARK: Answers

    /// A response's JSON object, every member a string; nil (recorded) when it is not one.
    static func object(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> [String: String]?
    {
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                as? [String: String]
        else {
            Issue.record(
                "not a JSON object of strings: \(String(buffer: response.body))", sourceLocation: sourceLocation)
            return nil
        }
        return object
    }

    /// Sends `delivery` and expects `status` with exactly the JSON object `expected`.
    @discardableResult
    static func post(
        _ delivery: Delivery,
        to client: some TestClientProtocol,
        expect status: HTTPResponse.Status,
        _ expected: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestResponse {
        try await client.execute(
            uri: delivery.path, method: .post, headers: delivery.headers, body: ByteBuffer(string: delivery.body)
        ) { response in
            #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
            #expect(object(response, sourceLocation: sourceLocation) == expected, sourceLocation: sourceLocation)
            return response
        }
    }

    /// Expects that no full number of `numbers` (their digits, with or without the country
    /// code) is anywhere in `records`: not in keys, values or headers.
    static func expectNoFullNumbers(
        _ numbers: [String], in records: [KafkaProducerRecord], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for record in records {
            let bytes =
                [record.key.map { String(buffer: $0) } ?? "", String(buffer: record.value)]
                + record.headers.map { "\($0.key)=\($0.stringValue ?? "")" }
            for number in numbers {
                let digits = number.filter(\.isWholeNumber)
                for text in bytes {
                    #expect(
                        !text.contains(digits) && !text.contains(String(digits.dropFirst())), "\(number) in \(text)",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    static let lifecycleTopic = IngestConfiguration().topic
    static let deadLetterTopic = IngestConfiguration().deadLetterTopic

    // MARK: 202

    @Test("202: the event, numbers masked and hashed, is published keyed by call id, and its id answered")
    func accepted() async throws {
        let bus = InMemoryEventBus()
        let delivery = Self.generic(Self.startedBody())
        let expectedID = EventIdentifier.make(
            provider: "generic", callId: "call-1", type: .started, delivery: Array(delivery.body.utf8))
        try await Self.withApplication(bus: bus) { client in
            try await Self.post(delivery, to: client, expect: .accepted, ["eventId": expectedID])
        }
        let records = bus.records
        try #require(records.count == 1)
        let record = records[0]
        #expect(record.topic == Self.lifecycleTopic)
        #expect(record.key == ByteBuffer(string: "call-1"))
        #expect(record.headers == [KafkaHeader(key: "content-type", string: "application/cloudevents+json")])
        let expected = CallEvent(
            type: .started,
            id: expectedID,
            time: Date(timeIntervalSince1970: 1_714_608_475),
            details: CallDetails(
                callId: "call-1", clientId: "acme", provider: "generic", direction: "inbound", from: "***0100",
                to: "***1212",
                callerHash: CallerHasher(key: Self.hashKey)!.hash("+14155550100"),
                startedAt: Date(timeIntervalSince1970: 1_714_608_475)
            )
        )
        #expect(try CallEvent.decode(record.value) == expected)
        Self.expectNoFullNumbers(["+14155550100", "+18005551212"], in: records)
    }

    @Test(
        "202 from every provider, on its own path",
        arguments: ["twilio", "vapi", "retell", "telnyx", "generic"]
    )
    func acceptedFromEveryProvider(provider: String) async throws {
        let (delivery, callId, numbers): (Delivery, String, [String]) =
            switch provider {
            case "twilio":
                (
                    Self.twilio(TwilioProviderTests.completedCall()), "CA0123456789abcdef0123456789abcdef",
                    ["+14155550100", "+18005551212"]
                )
            case "vapi": (Self.vapi(VapiProviderTests.endOfCallReport), "9f1c-call", ["+14155550100", "+18005551212"])
            case "retell":
                (
                    Self.retell(RetellProviderTests.endedBody), "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6",
                    ["+12137771234", "+12137771235"]
                )
            case "telnyx":
                (
                    try Self.telnyx(TelnyxProviderTests.hangup),
                    "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg", ["+14155550100", "+18005551212"]
                )
            default: (Self.generic(Self.startedBody()), "call-1", ["+14155550100", "+18005551212"])
            }
        let bus = InMemoryEventBus()
        let answer = try await Self.withApplication(bus: bus) { client in
            try await client.execute(
                uri: delivery.path, method: .post, headers: delivery.headers, body: ByteBuffer(string: delivery.body)
            ) { response in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
                return Self.object(response)
            }
        }
        let records = bus.records
        try #require(records.count == 1)
        let event = try CallEvent.decode(records[0].value)
        #expect(answer == ["eventId": event.id])
        #expect(records[0].topic == Self.lifecycleTopic)
        #expect(records[0].key == ByteBuffer(string: callId))
        #expect(event.source == "callbridge/ingest/\(provider)")
        #expect(event.data.callId == callId)
        #expect(event.data.clientId == "acme")
        #expect(event.data.callerHash != nil)
        Self.expectNoFullNumbers(numbers, in: records)
    }

    // MARK: 200, 4xx

    @Test("200: an authentic delivery that is no lifecycle event is ignored, nothing published")
    func ignored() async throws {
        let bus = InMemoryEventBus()
        try await Self.withApplication(bus: bus) { client in
            try await Self.post(
                Self.generic(#"{"type":"call.ringing","callId":"call-1","clientId":"acme"}"#), to: client, expect: .ok,
                ["status": "ignored", "reason": "type 'call.ringing' is not call.started or call.ended"]
            )
            try await Self.post(
                Self.twilio(TwilioProviderTests.completedCall(status: "ringing")), to: client, expect: .ok,
                ["status": "ignored", "reason": "Twilio CallStatus 'ringing' is not a call lifecycle event"]
            )
        }
        #expect(bus.records.isEmpty)
    }

    @Test(
        "400 and 422: an authentic delivery that cannot be normalized is dead-lettered, its numbers cut to the last 4 digits"
    )
    func deadLetters() async throws {
        let bus = InMemoryEventBus()
        let malformed = #"[{"callId":"call-1","from":"+1 415 555 0100"}]"#
        let missingClient = #"{"type":"call.ended","callId":"call-1","from":"+14155550100"}"#
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        try await Self.withApplication(bus: bus) { client in
            try await Self.post(
                Self.generic(malformed), to: client, expect: .badRequest,
                ["error": "body is an array, not the JSON object the generic webhook sends"]
            )
            try await Self.post(
                Self.generic(missingClient), to: client, expect: .unprocessableContent,
                ["error": #"clientId is missing: add ?clientId=… to the webhook URL or set "clientId" in the body"#]
            )
        }
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(bus.records(on: Self.lifecycleTopic).isEmpty)
        let letters = bus.records(on: Self.deadLetterTopic)
        try #require(letters.count == 2)
        for (letter, (reason, body)) in zip(
            letters,
            [
                (
                    "body is an array, not the JSON object the generic webhook sends",
                    #"[{"callId":"call-1","from":"+* *** *** 0100"}]"#
                ),
                (
                    #"clientId is missing: add ?clientId=… to the webhook URL or set "clientId" in the body"#,
                    #"{"type":"call.ended","callId":"call-1","from":"+*******0100"}"#
                ),
            ])
        {
            #expect(letter.key == ByteBuffer(string: "generic"))
            #expect(String(buffer: letter.value) == body)
            #expect(
                letter.headers.map(\.key) == [
                    "x-callbridge-reason", "x-callbridge-provider", "x-callbridge-received-at", "content-type",
                ])
            #expect(letter.headers[0].stringValue == reason)
            #expect(letter.headers[1].stringValue == "generic")
            let receivedAt = try #require(letter.headers[2].stringValue.flatMap { Int64($0) })
            #expect((before...after).contains(receivedAt))
            #expect(letter.headers[3].stringValue == "application/json")
        }
        Self.expectNoFullNumbers(["+14155550100"], in: letters)
    }

    @Test("a dead letter the bus does not take changes nothing of the answer")
    func deadLetterNotAcknowledged() async throws {
        let bus = InMemoryEventBus()
        bus.answer(.timeOut)
        try await Self.withApplication(bus: bus) { client in
            try await Self.post(
                Self.generic("{}"), to: client, expect: .unprocessableContent,
                ["error": "type is missing: expected \"call.started\" or \"call.ended\""])
        }
        #expect(bus.records.isEmpty)
    }

    @Test("401: a delivery that is not authentic is refused and never dead-lettered")
    func unauthorized() async throws {
        let bus = InMemoryEventBus()
        let body = Self.startedBody()
        try await Self.withApplication(bus: bus) { client in
            let wrongSecret = GenericProviderTests.sign(body, timestamp: Self.unixSeconds, secret: "not-the-secret")
            try await Self.post(
                Self.generic(body, signature: wrongSecret), to: client, expect: .unauthorized,
                ["error": "X-Signature does not match the body: wrong secret or altered body"]
            )
            var unsigned = Self.generic("not even JSON")
            unsigned.headers[HTTPField.Name("X-Signature")!] = nil
            try await Self.post(unsigned, to: client, expect: .unauthorized, ["error": "missing X-Signature header"])
        }
        #expect(bus.records.isEmpty)
    }

    @Test("404: an unknown provider, and a known one whose secret is not configured")
    func notFound() async throws {
        var configuration = Self.configuration
        configuration.secrets.vapiSecret = nil
        let bus = InMemoryEventBus()
        try await Self.withApplication(configuration, bus: bus) { client in
            try await Self.post(
                Self.generic(Self.startedBody(), path: "/webhooks/zoom"), to: client, expect: .notFound,
                ["error": "unknown provider 'zoom'; expected one of twilio, vapi, retell, telnyx, generic"]
            )
            try await Self.post(
                Self.vapi(VapiProviderTests.endOfCallReport), to: client, expect: .notFound,
                ["error": "provider 'vapi' is disabled: its secret is not configured"]
            )
        }
        #expect(bus.records.isEmpty)
    }

    @Test("413: a body over the limit is refused before it is read")
    func contentTooLarge() async throws {
        let bus = InMemoryEventBus()
        let body =
            #"{"type":"call.started","callId":"call-1","clientId":"acme","pad":""# + String(repeating: "x", count: 4096)
            + #""}"#
        try await Self.withApplication(bus: bus) { client in
            try await Self.post(
                Self.generic(body), to: client, expect: .contentTooLarge,
                ["error": "body of \(body.utf8.count) bytes is over the limit of 4096"]
            )
        }
        #expect(bus.records.isEmpty)
    }

    @Test("415: a content type the provider does not send, or none")
    func unsupportedMediaType() async throws {
        let bus = InMemoryEventBus()
        try await Self.withApplication(bus: bus) { client in
            var delivery = Self.generic(Self.startedBody())
            delivery.headers[.contentType] = "text/plain; charset=utf-8"
            try await Self.post(
                delivery, to: client, expect: .unsupportedMediaType,
                ["error": "content type 'text/plain' is not accepted; generic webhooks are application/json"]
            )
            delivery.headers[.contentType] = nil
            try await Self.post(
                delivery, to: client, expect: .unsupportedMediaType,
                ["error": "no content type is not accepted; generic webhooks are application/json"]
            )
        }
        #expect(bus.records.isEmpty)
    }

    // MARK: 503

    @Test(
        "503 + Retry-After (the publish timeout in whole seconds, at least 1) when the bus does not acknowledge; the retry gets the same event id",
        arguments: [(Duration.seconds(5), "5"), (.milliseconds(2500), "2"), (.milliseconds(300), "1")]
    )
    func serviceUnavailable(publishTimeout: Duration, retryAfter: String) async throws {
        var configuration = Self.configuration
        configuration.publishTimeout = publishTimeout
        let bus = InMemoryEventBus()
        let delivery = Self.generic(Self.startedBody())
        let expectedID = EventIdentifier.make(
            provider: "generic", callId: "call-1", type: .started, delivery: Array(delivery.body.utf8))
        try await Self.withApplication(configuration, bus: bus) { client in
            for answer in [
                InMemoryEventBus.Answer.timeOut,
                .fail(KafkaError(code: .queueFull, reason: "Local: Queue full", isRetriable: true)),
            ] {
                bus.answer(answer)
                let response = try await Self.post(
                    delivery, to: client, expect: .serviceUnavailable,
                    ["error": "Kafka did not acknowledge the event in time; nothing was lost, retry later"]
                )
                #expect(response.headers[.retryAfter] == retryAfter)
            }
            #expect(bus.records.isEmpty)
            bus.answer(.acknowledge)
            let response = try await Self.post(delivery, to: client, expect: .accepted, ["eventId": expectedID])
            #expect(response.headers[.retryAfter] == nil)
        }
        #expect(bus.records.count == 1)
    }

    // MARK: Paths

    @Test("a webhook answers alike on the direct path (`/webhooks/{known provider}`) and through the router")
    func directPathAndRouter() async throws {
        let bus = InMemoryEventBus()
        let body = Self.startedBody()
        let expected = [
            "eventId": EventIdentifier.make(
                provider: "generic", callId: "call-1", type: .started, delivery: Array(body.utf8))
        ]
        try await Self.withApplication(bus: bus) { client in
            #expect(WebhookResponder<BasicRequestContext>.knownProvider(inPath: "/webhooks/generic") == "generic")
            try await Self.post(Self.generic(body), to: client, expect: .accepted, expected)
            // Not an exact known path, so the router resolves it, to the same controller.
            #expect(WebhookResponder<BasicRequestContext>.knownProvider(inPath: "/webhooks/generic/") == nil)
            try await Self.post(Self.generic(body, path: "/webhooks/generic/"), to: client, expect: .accepted, expected)
            // Only POST is a webhook.
            try await client.execute(uri: "/webhooks/generic", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        let records = bus.records
        try #require(records.count == 2)
        #expect(
            records[0].key == records[1].key && records[0].value == records[1].value
                && records[0].headers == records[1].headers)
    }

    // MARK: Operations

    @Test("/healthz, /readyz as the bus says, /metrics from the registry")
    func operations() async throws {
        let bus = InMemoryEventBus(readiness: .notReady("Kafka does not answer: connection refused"))
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "callbridge_ingest_test_marker", unitName: "total", helpText: "")
        ).increment()
        try await Self.withApplication(bus: bus, metricsRegistry: registry) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response) == ["status": "ok"])
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(Self.object(response) == ["error": "not ready: Kafka does not answer: connection refused"])
            }
            bus.readiness.update(.ready)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response) == ["status": "ready"])
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(String(buffer: response.body).contains("callbridge_ingest_test_marker_total 1\n"))
            }
        }
    }
}
