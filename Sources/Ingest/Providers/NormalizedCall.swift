import CallEvents
import Foundation

/// A provider webhook reduced to what a call lifecycle event needs, phone numbers still
/// in full. Ingest masks and hashes the numbers before anything leaves the process.
package struct NormalizedCall: Sendable, Hashable {
    var type: CallEventType
    var callId: String
    var clientId: String
    /// `inbound` or `outbound` when the provider says; provider-specific values are mapped.
    var direction: String?
    /// The caller's number in full (masked and hashed by Ingest).
    var from: String?
    /// The called number in full (masked by Ingest).
    var to: String?
    var startedAt: Date?
    var endedAt: Date?
    var durationSeconds: Int?
    var endReason: String?
    /// When the provider says the event happened; the CloudEvent's `time`.
    var occurredAt: Date
    /// The provider's own id of the event, when it gives one that stays the same across its
    /// retries while the body does not (Telnyx's `data.id`; its `meta.attempt` counts the
    /// retries). The event id is derived from it instead of the body (``EventIdentifier``).
    var providerEventID: String? = nil
}
