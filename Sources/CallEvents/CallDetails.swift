import WireFormats

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `data` object of a call lifecycle event: what is known about the call.
///
/// Phone numbers in here are already anonymized: ``from`` and ``to`` hold the output of
/// ``PhoneNumberMask`` and ``callerHash`` the output of ``CallerHasher``. The type cannot
/// check that (a consumer decoding an event sees only the masked values), so whoever
/// builds a `CallDetails` from a webhook must mask first.
///
/// Times are kept at the precision the wire carries, whole milliseconds (years 0000…9999):
/// the initializer and the setters round ``startedAt`` and ``endedAt`` to the nearest
/// millisecond, so an event that went through ``CallEvent/encoded()`` and
/// ``CallEvent/decode(_:)`` compares equal to the original.
public struct CallDetails: Sendable, Hashable {
    /// The provider's call identifier (Twilio `CallSid`, Vapi/Retell call id, Telnyx
    /// `call_control_id`, …). Also the Kafka record key and the event's `subject`.
    public var callId: String
    /// The tenant the call belongs to; decides which dashboard room sees it.
    public var clientId: String
    /// The provider that reported the call: `twilio`, `vapi`, `retell`, `telnyx`, `generic`.
    public var provider: String
    /// `inbound` or `outbound` as reported by the provider, if known.
    public var direction: String?
    /// The calling number, masked to its last four digits (`***4321`).
    public var from: String?
    /// The called number, masked to its last four digits (`***1212`).
    public var to: String?
    /// Keyed HMAC-SHA256 of the caller's number, lowercase hex (see ``CallerHasher``).
    public var callerHash: String?
    /// When the call was answered, rounded to the millisecond.
    public var startedAt: Date? {
        didSet { startedAt = startedAt.map(RFC3339Timestamp.normalized) }
    }
    /// When the call ended, rounded to the millisecond.
    public var endedAt: Date? {
        didSet { endedAt = endedAt.map(RFC3339Timestamp.normalized) }
    }
    /// How long the call lasted, in whole seconds.
    public var durationSeconds: Int?
    /// Why the call ended, as the provider put it (`completed`, `busy`, `customer-ended-call`, …).
    public var endReason: String?

    /// Creates call details. `from`, `to` and `callerHash` must already be anonymized.
    public init(
        callId: String,
        clientId: String,
        provider: String,
        direction: String? = nil,
        from: String? = nil,
        to: String? = nil,
        callerHash: String? = nil,
        startedAt: Date? = nil,
        endedAt: Date? = nil,
        durationSeconds: Int? = nil,
        endReason: String? = nil
    ) {
        self.callId = callId
        self.clientId = clientId
        self.provider = provider
        self.direction = direction
        self.from = from
        self.to = to
        self.callerHash = callerHash
        self.startedAt = startedAt.map(RFC3339Timestamp.normalized)
        self.endedAt = endedAt.map(RFC3339Timestamp.normalized)
        self.durationSeconds = durationSeconds
        self.endReason = endReason
    }
}
