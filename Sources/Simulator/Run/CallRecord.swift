import Foundation

/// A call the simulation is playing out: its plan, how far it got, and what Ingest answered.
struct CallRecord: Sendable {
    var call: SimulatedCall
    /// When the call began on the run's clock (offsets of its plan count from here).
    var origin: ContinuousClock.Instant
    /// Index in `call.plan` of the next stage to send.
    var nextStage = 0
    /// Each stage's delivery as first sent, kept for retries and resends.
    var contents: [CallStage: WebhookContent] = [:]
    /// The event id Ingest gave each lifecycle event (`call.started`, `call.ended`).
    var eventIds: [String: String] = [:]
    /// Deliveries of this call scheduled or in flight; the call is over when none are left
    /// and its plan is done.
    var outstanding = 0
    /// The lifecycle stages whose delivery is sent a second time (`--retry-ratio`).
    var retriedStages: Set<CallStage> = []
    /// The stage that also gets a forged copy, if any.
    var forgedStage: CallStage?
    var abandoned = false

    var planDone: Bool { nextStage >= call.plan.count }
}
