/// The kind of call lifecycle event, carried in the CloudEvents `type` attribute.
///
/// The raw values are the exact strings on the wire (`call.started`, `call.ended`), so
/// `CallEventType(rawValue:)` is how a consumer maps the attribute back to the enum.
public enum CallEventType: String, Sendable, Hashable, CaseIterable {
    /// The call was answered and is in progress.
    case started = "call.started"
    /// The call is over (completed, busy, failed, no answer, canceled, hung up, …).
    case ended = "call.ended"
}
