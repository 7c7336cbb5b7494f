import CallEvents
import Foundation

/// Call events shaped like Ingest's records: every field of an ended call set, numbers
/// masked and hashed as Ingest leaves them.
public enum SampleEvents {
    /// The end of call `number` of `clientId`; a different number, a different event id.
    public static func ended(number: Int, clientId: String = "acme") -> CallEvent {
        let ended = Date(timeIntervalSince1970: 1_796_000_000 + Double(number))
        return CallEvent(
            id: "9d0b6e8a-1c1e-8f3e-9a7b-\(String(format: "%012x", number))",
            source: CallEvent.ingestSourcePrefix + "twilio",
            type: .ended,
            time: ended,
            data: CallDetails(
                callId: "CA\(String(format: "%032x", number))",
                clientId: clientId,
                provider: "twilio",
                direction: "inbound",
                from: "***4321",
                to: "***1212",
                callerHash: "4f1c0a6e9b2d7c3e8a5f0b1d6e2c9a7f3b8d4e0c5a1f6b2e7d3c8a4f9b0e5d1c",
                startedAt: ended.addingTimeInterval(-154),
                endedAt: ended,
                durationSeconds: 154,
                endReason: "completed"
            )
        )
    }
}
