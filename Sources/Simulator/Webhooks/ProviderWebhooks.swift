import Foundation

/// A provider's webhooks: which stages of a call it reports, how its calls end, and the
/// body of each delivery, shaped like the provider's own (see docs/simulator.md).
protocol ProviderWebhooks: Sendable {
    var provider: ProviderName { get }

    /// End reasons of answered calls, with their relative frequencies.
    var answeredEndReasons: [(String, Double)] { get }
    /// End reasons of calls that were never answered (busy, no answer, …).
    var unansweredEndReasons: [(String, Double)] { get }
    /// The optional (ignored) stages this provider reports, with the chance a call has each.
    var optionalStages: [(CallStage, Double)] { get }

    /// The call id Ingest keys events by, and the provider's other ids of the call.
    func identifiers(using random: inout SeededRandom) -> CallIdentifiers

    /// The delivery reporting `stage` of `call`, sent at `date`.
    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent

    /// `content` as the provider sends it again on its `attempt`th try (2 for the first retry).
    func retry(of content: WebhookContent, attempt: Int) -> WebhookContent
}

extension ProviderWebhooks {
    /// Most providers re-send the very same bytes.
    func retry(of content: WebhookContent, attempt: Int) -> WebhookContent { content }
}
