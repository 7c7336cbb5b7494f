import Benchmark
import Crypto
import Foundation
import HTTPTypes
import HotPathBenchmarkSupport
import Ingest
import NIOCore
import Settings
import Simulator

// What Ingest does with each provider's webhook once the HTTP server handed it over:
// `WebhookProvider.accept`, the signature check and the body's parsing into a call. The
// deliveries are the simulator's (`callbridge-sim`'s bodies and signers: the end of an
// answered call), the providers are made from Ingest's settings as at start.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .hotPath

    for provider in ["twilio", "vapi", "retell", "telnyx", "generic"] {
        Benchmark("accept-\(provider)") { benchmark, setup in
            for _ in benchmark.scaledIterations {
                blackHole(try setup.provider.accept(setup.request))
            }
        } setup: {
            try SignedWebhook(provider: provider)
        }
    }
}

/// One provider as Ingest's settings make it, and a delivery the simulator signed for it.
struct SignedWebhook {
    static let publicBaseURL = "https://hooks.example.com"
    static let twilioAuthToken = "bench-twilio-token"
    static let vapiSecret = "bench-vapi-secret"
    static let retellAPIKey = "key_bench"
    static let genericWebhookSecret = "bench-generic-secret"

    let provider: any WebhookProvider
    let request: WebhookRequest

    init(provider name: String) throws {
        let telnyxKey = Curve25519.Signing.PrivateKey()
        let environment = [
            "PUBLIC_BASE_URL": Self.publicBaseURL,
            "TWILIO_AUTH_TOKEN": Self.twilioAuthToken,
            "VAPI_SECRET": Self.vapiSecret,
            "RETELL_API_KEY": Self.retellAPIKey,
            "TELNYX_PUBLIC_KEY": telnyxKey.publicKey.rawRepresentation.base64EncodedString(),
            "GENERIC_WEBHOOK_SECRET": Self.genericWebhookSecret,
        ]
        let settings = try SettingsReader(settings: IngestSettings.all, arguments: [], environment: environment)
        let configuration = try IngestConfiguration(reading: settings)
        guard let provider = try WebhookProviders.enabled(by: configuration)[name] else {
            throw SetupFailure("no provider \(name)")
        }
        // Signed now: the benchmark runs well within the signature tolerance.
        let now = Date()
        guard
            let delivery = SignedDelivery.callEnded(
                provider: name, twilioAuthToken: Self.twilioAuthToken, vapiSecret: Self.vapiSecret,
                retellAPIKey: Self.retellAPIKey, telnyxPrivateKey: telnyxKey,
                genericWebhookSecret: Self.genericWebhookSecret, publicBaseURL: Self.publicBaseURL, at: now
            )
        else { throw SetupFailure("the simulator has no provider \(name)") }
        var headers = HTTPFields()
        for (field, value) in delivery.headers {
            guard let field = HTTPField.Name(field) else { throw SetupFailure("bad header name \(field)") }
            headers.append(HTTPField(name: field, value: value))
        }
        self.provider = provider
        self.request = WebhookRequest(
            uri: delivery.pathAndQuery, headers: headers, body: ByteBuffer(bytes: delivery.body), receivedAt: now
        )
        // A delivery Ingest would refuse would measure the refusal: check it is accepted.
        _ = try provider.accept(request)
    }
}

struct SetupFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
