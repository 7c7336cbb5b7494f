import Foundation
import WireFormats

/// Twilio Voice status callbacks: form bodies, `CallStatus` `initiated`/`ringing` (ignored),
/// `in-progress` (answered), then `completed`, or `busy`/`no-answer`/`failed`/`canceled`
/// for calls never answered. The clientId travels in the callback URL, which Twilio signs.
struct TwilioWebhooks: ProviderWebhooks {
    let provider = ProviderName.twilio

    // Answered calls always end `completed` in Twilio's vocabulary (who hung up is not said).
    let answeredEndReasons: [(String, Double)] = [("completed", 1)]
    let unansweredEndReasons: [(String, Double)] = [("no-answer", 50), ("busy", 30), ("canceled", 12), ("failed", 8)]
    // Twilio reports nothing while a call is active, and nothing after `completed`.
    let optionalStages: [(CallStage, Double)] = [(.ringing, 0.8)]

    func identifiers(using random: inout SeededRandom) -> CallIdentifiers {
        CallIdentifiers(callId: "CA" + random.hex(32), others: ["accountSid": "AC" + random.hex(32)])
    }

    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent {
        let status: String
        switch stage {
        case .ringing: status = call.direction == .outbound ? "initiated" : "ringing"
        case .started: status = "in-progress"
        case .ended: status = call.endReason
        case .progress, .afterEnd: status = "in-progress"
        }
        var parameters: [(name: String, value: String)] = [
            ("AccountSid", call.ids["accountSid"]),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", call.callId),
            ("CallStatus", status),
            ("Called", call.to),
            ("Caller", call.from),
            ("CallbackSource", "call-progress-events"),
            ("Direction", call.direction == .inbound ? "inbound" : "outbound-api"),
            ("From", call.from),
            ("SequenceNumber", String(call.plan.firstIndex { $0.stage == stage } ?? 0)),
            ("Timestamp", WebhookTime.rfc2822(date)),
            ("To", call.to),
        ]
        if stage == .ended {
            let seconds = Int((call.talkSeconds ?? 0).rounded())
            parameters.append(("CallDuration", String(seconds)))
            // `Duration` is billed minutes, rounded up.
            parameters.append(("Duration", String((seconds + 59) / 60)))
            parameters.append(("SipResponseCode", Self.sipCode(call.endReason)))
        }
        return WebhookContent(
            pathAndQuery: "\(provider.path)?clientId=\(FormURLEncoding.encode(call.clientId))",
            contentType: "application/x-www-form-urlencoded",
            body: Array(FormURLEncoding.encode(parameters).utf8),
            formParameters: parameters,
            // Twilio's id of this delivery; its retries carry the same one.
            extraHeaders: [("I-Twilio-Idempotency-Token", random.uuid())]
        )
    }

    private static func sipCode(_ status: String) -> String {
        switch status {
        case "busy": "486"
        case "no-answer": "480"
        case "canceled": "487"
        case "failed": "500"
        default: "200"
        }
    }
}
