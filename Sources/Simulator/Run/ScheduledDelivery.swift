/// A delivery waiting for its time, ordered by due time (then by when it was scheduled).
struct ScheduledDelivery: Comparable, Sendable {
    var due: ContinuousClock.Instant
    /// Tie-break, so deliveries due at the same instant go out in the order they were scheduled.
    var sequence: Int
    var callNumber: Int
    var stage: CallStage
    var purpose: DeliveryPurpose
    /// 1 for the first attempt; resends count up.
    var attempt: Int = 1

    static func < (lhs: ScheduledDelivery, rhs: ScheduledDelivery) -> Bool {
        lhs.due == rhs.due ? lhs.sequence < rhs.sequence : lhs.due < rhs.due
    }

    static func == (lhs: ScheduledDelivery, rhs: ScheduledDelivery) -> Bool {
        lhs.sequence == rhs.sequence
    }
}
