import Foundation

/// Retell AI webhooks: `call_started` (answered calls only: Retell sends none for calls that
/// never connect), `call_ended` with `disconnection_reason`, then `call_analyzed` (ignored).
/// The clientId is in the call's `metadata`, set when the call was created.
struct RetellWebhooks: ProviderWebhooks {
    let provider = ProviderName.retell

    let answeredEndReasons: [(String, Double)] = [
        ("user_hangup", 48), ("agent_hangup", 30), ("call_transfer", 7), ("voicemail_reached", 6),
        ("inactivity", 5), ("max_duration_reached", 2), ("error_unknown", 2),
    ]
    let unansweredEndReasons: [(String, Double)] = [("dial_no_answer", 60), ("dial_busy", 28), ("dial_failed", 12)]
    let optionalStages: [(CallStage, Double)] = [(.afterEnd, 0.8)]

    func identifiers(using random: inout SeededRandom) -> CallIdentifiers {
        CallIdentifiers(callId: random.alphanumeric(32), others: ["agentId": "agent_" + random.hex(24)])
    }

    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent {
        let event: String
        switch stage {
        case .started: event = "call_started"
        case .ended: event = "call_ended"
        case .ringing, .progress, .afterEnd: event = "call_analyzed"
        }
        let ended = stage == .ended || stage == .afterEnd
        let status = !ended ? "ongoing" : call.answered ? "ended" : "not_connected"
        var callObject: JSONText = [
            "call_type": "phone_call",
            "call_id": .string(call.callId),
            "agent_id": .string(call.ids["agentId"]),
            "call_status": .string(status),
            "direction": .string(call.direction.rawValue),
            "from_number": .string(call.from),
            "to_number": .string(call.to),
            "metadata": ["clientId": .string(call.clientId)],
        ]
        var extra: [(String, JSONText)] = []
        if let answeredAt = call.answeredAt {
            extra.append(("start_timestamp", .integer(WebhookTime.epochMilliseconds(answeredAt))))
        }
        if ended {
            extra.append(("end_timestamp", .integer(WebhookTime.epochMilliseconds(call.endedAt ?? date))))
            if call.answered {
                extra.append(("duration_ms", .integer(Int64(((call.talkSeconds ?? 0) * 1000).rounded()))))
            }
            extra.append(("disconnection_reason", .string(call.endReason)))
        }
        if stage == .afterEnd {
            let sentiment = random.weighted([("Positive", 5.0), ("Neutral", 3.0), ("Negative", 2.0)])
            let analysis: [(String, JSONText)] = [
                ("call_summary", .string("The caller asked to reschedule an appointment.")),
                ("user_sentiment", .string(sentiment)),
                ("call_successful", .bool(random.chance(0.8))),
            ]
            extra.append(("call_analysis", .object(analysis)))
        }
        callObject = callObject.adding(extra)
        let body: JSONText = ["event": .string(event), "call": callObject]
        return WebhookContent(pathAndQuery: provider.path, contentType: "application/json", body: body.bytes)
    }
}
