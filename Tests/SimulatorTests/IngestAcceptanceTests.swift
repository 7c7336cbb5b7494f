import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import Ingest
@testable import Simulator

/// Every stage of simulated calls, through Ingest's own provider code: the signature is
/// accepted and the body means what the simulator meant (event type, ids, numbers, end).
/// The system test (Tests/Integration/test_simulator.py) does the same over HTTP and Kafka.
@Suite("Simulated webhooks as Ingest reads them")
struct IngestAcceptanceTests {
    static let publicBaseURL = "https://hooks.example.com"

    let telnyxKey = Curve25519.Signing.PrivateKey()
    let secrets: ProviderSecrets

    init() {
        secrets = ProviderSecrets(
            twilioAuthToken: "twilio-token", vapiSecret: "vapi-secret", retellAPIKey: "retell-key",
            telnyxPrivateKey: telnyxKey, genericWebhookSecret: "generic-secret"
        )
    }

    func ingestProvider(_ name: ProviderName) throws -> any WebhookProvider {
        switch name {
        case .twilio: TwilioProvider(authToken: "twilio-token", publicBaseURL: Self.publicBaseURL)
        case .vapi: VapiProvider(secret: "vapi-secret")
        case .retell: RetellProvider(apiKey: "retell-key")
        case .telnyx: try TelnyxProvider(publicKey: telnyxKey.publicKey.rawRepresentation.base64EncodedString())
        case .generic: GenericProvider(secret: "generic-secret")
        }
    }

    func request(_ content: WebhookContent, signer: any WebhookSigner, at date: Date) -> WebhookRequest {
        var fields = HTTPFields()
        var headers: [(name: String, value: String)] = [("Content-Type", content.contentType)]
        headers += content.extraHeaders
        headers += signer.headers(
            body: content.body, url: Self.publicBaseURL + content.pathAndQuery, formParameters: content.formParameters,
            date: date)
        for header in headers {
            fields.append(HTTPField(name: HTTPField.Name(header.name)!, value: header.value))
        }
        return WebhookRequest(
            uri: content.pathAndQuery, headers: fields, body: ByteBuffer(bytes: content.body), receivedAt: date)
    }

    @Test("Every stage of 500 calls across the five providers")
    func everyStage() throws {
        var random = SeededRandom(seed: 3)
        var ids = SeededRandom(seed: 30)
        let clients = ClientDirectory(count: 6, random: &random)
        let planner = CallPlanner(
            mix: .all, clients: clients, durations: CallDurationDistribution(medianSeconds: 150), ringSeconds: 2...25)
        var seen: [ProviderName: Set<String>] = [:]
        for number in 1...500 {
            var call = planner.plan(number: number, at: Date(), using: &random, identifiers: &ids)
            let provider = try ingestProvider(call.provider)
            let signer = try #require(secrets.signer(for: call.provider, vapiBearer: call.vapiBearer))
            for (stage, offset) in call.plan {
                // Compressed 100×, so every timestamp stays within the signature tolerance.
                let date = call.createdAt.addingTimeInterval(offset / 100)
                if stage == .started { call.answeredAt = date }
                if stage == .ended { call.endedAt = date }
                let content = planner.webhooks[call.provider]!.content(
                    for: call, stage: stage, at: date, using: &random)
                let delivery = request(content, signer: signer, at: date)
                let what = "\(call.provider) \(stage) of call \(number)"
                try provider.authenticate(delivery)
                let outcome = try provider.normalize(delivery)
                switch outcome {
                case .ignored:
                    #expect(stage.lifecycleEvent == nil, "\(what) was ignored")
                    seen[call.provider, default: []].insert("ignored")
                case .call(let normalized):
                    #expect(normalized.type.rawValue == stage.lifecycleEvent, "\(what) became \(normalized.type)")
                    #expect(normalized.callId == call.callId, "\(what)")
                    #expect(normalized.clientId == call.clientId, "\(what)")
                    #expect(
                        normalized.from == call.from && normalized.to == call.to,
                        "\(what): \(normalized.from ?? "-") → \(normalized.to ?? "-")")
                    #expect(normalized.direction == nil || normalized.direction == call.direction.rawValue, "\(what)")
                    if stage == .ended {
                        #expect(normalized.endReason == call.endReason, "\(what)")
                        let reportsDuration = !(call.provider == .vapi && !call.vapiEndOfCallReport)
                        if call.answered, reportsDuration, let talk = call.talkSeconds {
                            let duration = try #require(normalized.durationSeconds, "\(what) has no duration")
                            #expect(abs(Double(duration) - talk) <= 1, "\(what): \(duration) s, talked \(talk) s")
                        }
                    }
                    seen[call.provider, default: []].insert(normalized.type.rawValue)
                }
            }
        }
        for provider in ProviderName.allCases {
            #expect(
                seen[provider] == ["call.started", "call.ended", "ignored"], "\(provider): \(seen[provider] ?? [])")
        }
    }

    @Test("Forged deliveries are refused by Ingest's verification")
    func forgedRefused() throws {
        var random = SeededRandom(seed: 4)
        var ids = SeededRandom(seed: 40)
        let clients = ClientDirectory(count: 2, random: &random)
        let planner = CallPlanner(
            mix: .all, clients: clients, durations: CallDurationDistribution(medianSeconds: 150), ringSeconds: 2...25)
        var checked: Set<ProviderName> = []
        for number in 1...100 {
            var call = planner.plan(number: number, at: Date(), using: &random, identifiers: &ids)
            call.endedAt = Date()
            let signer = try #require(secrets.signer(for: call.provider, vapiBearer: call.vapiBearer)).forged()
            let content = planner.webhooks[call.provider]!.content(for: call, stage: .ended, at: Date(), using: &random)
            let provider = try ingestProvider(call.provider)
            #expect(throws: WebhookRejection.self) {
                try provider.authenticate(request(content, signer: signer, at: Date()))
            }
            checked.insert(call.provider)
        }
        #expect(checked == Set(ProviderName.allCases))
    }
}
