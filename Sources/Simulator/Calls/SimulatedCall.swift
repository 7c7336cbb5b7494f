import Foundation

/// One simulated call: decided when it starts (provider, tenant, numbers, whether it is
/// answered, how long it lasts, how it ends), then played out stage by stage.
struct SimulatedCall: Sendable {
    enum Direction: String, Sendable {
        case inbound
        case outbound
    }

    /// 1 for the run's first call, and so on.
    let number: Int
    let provider: ProviderName
    let ids: CallIdentifiers
    let clientId: String
    let direction: Direction
    /// The customer's number (fake).
    let customerNumber: String
    /// The client's number the call is to (inbound) or from (outbound) (fake).
    let businessNumber: String
    let answered: Bool
    let endReason: String
    /// The stages reported, in order, each with its offset from the call's start in simulated seconds.
    let plan: [(stage: CallStage, offset: Double)]
    /// Vapi only: authenticate with `Authorization: Bearer` instead of `X-Vapi-Secret`.
    let vapiBearer: Bool
    /// Vapi only: report the end with `end-of-call-report` instead of a `status-update` `ended`.
    let vapiEndOfCallReport: Bool

    /// When the call's first webhook was sent.
    var createdAt: Date
    /// When its `started` webhook was built (nil before, and for unanswered calls).
    var answeredAt: Date?
    /// When its `ended` webhook was built.
    var endedAt: Date?

    var callId: String { ids.callId }

    /// The caller and the called number, by direction.
    var from: String { direction == .inbound ? customerNumber : businessNumber }
    var to: String { direction == .inbound ? businessNumber : customerNumber }

    /// Seconds between answer and end (wall clock), once ended; nil for unanswered calls.
    var talkSeconds: Double? {
        guard let answeredAt, let endedAt else { return nil }
        return max(0, endedAt.timeIntervalSince(answeredAt))
    }

    /// The lifecycle events this call is expected to produce.
    var expectedEvents: [String] {
        plan.compactMap { $0.stage.lifecycleEvent }
    }
}
