import Foundation

/// Vapi server-URL messages: `status-update` (`ringing`, ignored; `in-progress`, answered),
/// `speech-update`/`conversation-update` while active (ignored), and the end as either an
/// `end-of-call-report` or a `status-update` `ended` (one of them per call: Ingest publishes
/// `call.ended` for each). The clientId is in the assistant overrides' metadata.
struct VapiWebhooks: ProviderWebhooks {
    let provider = ProviderName.vapi

    let answeredEndReasons: [(String, Double)] = [
        ("customer-ended-call", 45), ("assistant-ended-call", 28), ("silence-timed-out", 8), ("voicemail", 7),
        ("assistant-forwarded-call", 6), ("exceeded-max-duration", 3), ("pipeline-error-openai-llm-failed", 2),
        ("phone-call-provider-closed-websocket", 1),
    ]
    let unansweredEndReasons: [(String, Double)] = [("customer-did-not-answer", 65), ("customer-busy", 35)]
    let optionalStages: [(CallStage, Double)] = [(.ringing, 0.7), (.progress, 0.5)]

    func identifiers(using random: inout SeededRandom) -> CallIdentifiers {
        CallIdentifiers(
            callId: random.uuid(),
            others: [
                "orgId": random.uuid(), "assistantId": random.uuid(), "phoneNumberId": random.uuid(),
            ])
    }

    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent {
        let callStatus: String
        var message: JSONText
        switch stage {
        case .ringing:
            callStatus = "ringing"
            message = ["type": "status-update", "status": "ringing"]
        case .started:
            callStatus = "in-progress"
            message = ["type": "status-update", "status": "in-progress"]
        case .progress, .afterEnd:
            callStatus = "in-progress"
            if random.chance(0.5) {
                let role = random.chance(0.5) ? "assistant" : "user"
                message = ["type": "speech-update", "status": "stopped", "role": .string(role)]
            } else {
                message = [
                    "type": "conversation-update",
                    "messages": [["role": "assistant", "message": "Thanks for calling, how can I help?"]],
                ]
            }
        case .ended:
            callStatus = "ended"
            if call.vapiEndOfCallReport {
                let seconds = call.talkSeconds ?? 0
                message = ["type": "end-of-call-report", "endedReason": .string(call.endReason)]
                var report: [(String, JSONText)] = []
                if let answeredAt = call.answeredAt {
                    report.append(("startedAt", .string(WebhookTime.iso8601(answeredAt))))
                }
                report.append(("endedAt", .string(WebhookTime.iso8601(date))))
                if call.answered {
                    report.append(("durationMs", .integer(Int64((seconds * 1000).rounded()))))
                    report.append(("durationSeconds", .number((seconds * 1000).rounded() / 1000)))
                    report.append(("summary", .string("The customer asked about their order.")))
                }
                report.append(("cost", .number((seconds / 60 * 0.11 * 10000).rounded() / 10000)))
                message = message.adding(report)
            } else {
                message = ["type": "status-update", "status": "ended", "endedReason": .string(call.endReason)]
            }
        }
        let callObject: JSONText = [
            "id": .string(call.callId),
            "orgId": .string(call.ids["orgId"]),
            "type": .string(call.direction == .inbound ? "inboundPhoneCall" : "outboundPhoneCall"),
            "status": .string(callStatus),
            "assistantId": .string(call.ids["assistantId"]),
            "phoneNumberId": .string(call.ids["phoneNumberId"]),
            "customer": ["number": .string(call.customerNumber)],
            "assistantOverrides": ["metadata": ["clientId": .string(call.clientId)]],
        ]
        message = message.adding([
            ("timestamp", .integer(WebhookTime.epochMilliseconds(date))),
            (
                "phoneNumber",
                .object([("id", .string(call.ids["phoneNumberId"])), ("number", .string(call.businessNumber))])
            ),
            ("call", callObject),
        ])
        let body: JSONText = ["message": message]
        return WebhookContent(pathAndQuery: provider.path, contentType: "application/json", body: body.bytes)
    }
}
