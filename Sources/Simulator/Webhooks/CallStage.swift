/// A moment of a call that a provider reports with a webhook.
enum CallStage: String, Sendable, Hashable, CaseIterable {
    /// Before the answer (Twilio `ringing`, Telnyx `call.initiated`, …): Ingest ignores it.
    case ringing
    /// The call is answered: `call.started`.
    case started
    /// While the call is active (Vapi `speech-update`, Telnyx DTMF, …): ignored.
    case progress
    /// The call is over, answered or not: `call.ended`.
    case ended
    /// After the end (Retell `call_analyzed`, Telnyx `call.recording.saved`, …): ignored.
    case afterEnd

    /// The lifecycle event Ingest publishes for this stage, nil for stages it ignores.
    var lifecycleEvent: String? {
        switch self {
        case .started: "call.started"
        case .ended: "call.ended"
        case .ringing, .progress, .afterEnd: nil
        }
    }
}
