import Crypto
import Foundation

/// One webhook as the simulator posts it: a provider's body for one stage of a simulated
/// call, with the headers its signer puts on it. Lets the hot-path benchmarks
/// (Benchmarks/IngestBenchmarks) feed Ingest's providers the simulator's traffic without the
/// network.
package struct SignedDelivery: Sendable {
    /// Path and query under Ingest's base URL, e.g. `/webhooks/twilio?clientId=acme`.
    package var pathAndQuery: String
    /// The content type, the provider's own headers, then its authentication.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    /// The delivery that ends an answered call of `provider` (a Vapi end-of-call report), signed
    /// at `date` with the given secrets; nil for an unknown provider. The same `seed`, the
    /// same call.
    package static func callEnded(
        provider: String,
        twilioAuthToken: String,
        vapiSecret: String,
        retellAPIKey: String,
        telnyxPrivateKey: Curve25519.Signing.PrivateKey,
        genericWebhookSecret: String,
        publicBaseURL: String,
        at date: Date,
        seed: UInt64 = 1
    ) -> SignedDelivery? {
        guard let name = ProviderName(rawValue: provider) else { return nil }
        let secrets = ProviderSecrets(
            twilioAuthToken: twilioAuthToken, vapiSecret: vapiSecret, retellAPIKey: retellAPIKey,
            telnyxPrivateKey: telnyxPrivateKey, genericWebhookSecret: genericWebhookSecret
        )
        var random = SeededRandom(seed: seed)
        var identifiers = SeededRandom(seed: seed &+ 1)
        let planner = CallPlanner(
            mix: ProviderMix([name: 1]), clients: ClientDirectory(count: 6, random: &random),
            durations: CallDurationDistribution(medianSeconds: 150), ringSeconds: 2...25
        )
        var call = planner.plan(number: 1, at: date, using: &random, identifiers: &identifiers)
        while !call.answered || (name == .vapi && !call.vapiEndOfCallReport) {
            call = planner.plan(number: call.number + 1, at: date, using: &random, identifiers: &identifiers)
        }
        call.answeredAt = date.addingTimeInterval(-150)
        call.endedAt = date
        let content = planner.webhooks[name]!.content(for: call, stage: .ended, at: date, using: &random)
        let signer = secrets.signer(for: name, vapiBearer: call.vapiBearer)!
        var headers: [(name: String, value: String)] = [("Content-Type", content.contentType)]
        headers += content.extraHeaders
        headers += signer.headers(
            body: content.body, url: publicBaseURL + content.pathAndQuery, formParameters: content.formParameters,
            date: date
        )
        return SignedDelivery(pathAndQuery: content.pathAndQuery, headers: headers, body: content.body)
    }
}
