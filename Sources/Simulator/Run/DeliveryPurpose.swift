/// Why a delivery is sent, which decides the answer expected.
enum DeliveryPurpose: String, Sendable, Hashable, CaseIterable {
    /// The first delivery of a call stage.
    case original
    /// The same delivery again (same body), as a provider does when it did not hear the
    /// answer: a lifecycle stage must get 202 with the same event id.
    case retry
    /// Sent again because Ingest answered 503 or the network failed (the attempt before
    /// counted as unexpected).
    case resend
    /// A copy with a wrong signature or secret: must be refused with 401.
    case forged
}
