/// What an authentic webhook delivery amounts to.
package enum WebhookOutcome: Sendable, Hashable {
    /// A call lifecycle event to publish.
    case call(NormalizedCall)
    /// Authentic, but a status that maps to no lifecycle event (answered 200 `ignored`).
    case ignored(reason: String)
}
