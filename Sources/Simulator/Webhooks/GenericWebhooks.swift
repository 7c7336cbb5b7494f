import Foundation

/// The generic JSON webhook (for senders without a provider of their own): `call.started`
/// and `call.ended`, plus `call.ringing` and `call.updated`, which Ingest ignores
/// (types it does not know). The clientId is a body member.
struct GenericWebhooks: ProviderWebhooks {
    let provider = ProviderName.generic

    let answeredEndReasons: [(String, Double)] = [
        ("hangup", 55), ("agent-hangup", 28), ("transfer", 10), ("voicemail", 5), ("error", 2),
    ]
    let unansweredEndReasons: [(String, Double)] = [("no-answer", 60), ("busy", 30), ("rejected", 10)]
    let optionalStages: [(CallStage, Double)] = [(.ringing, 0.5), (.progress, 0.2)]

    func identifiers(using random: inout SeededRandom) -> CallIdentifiers {
        CallIdentifiers(callId: "gen-" + random.hex(20))
    }

    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent {
        let type: String
        switch stage {
        case .ringing: type = "call.ringing"
        case .started: type = "call.started"
        case .progress, .afterEnd: type = "call.updated"
        case .ended: type = "call.ended"
        }
        var body: JSONText = [
            "type": .string(type),
            "callId": .string(call.callId),
            "clientId": .string(call.clientId),
            "timestamp": .string(WebhookTime.iso8601(date)),
            "from": .string(call.from),
            "to": .string(call.to),
            "direction": .string(call.direction.rawValue),
        ]
        if stage == .ended {
            var end: [(String, JSONText)] = []
            if let answeredAt = call.answeredAt {
                end.append(("startedAt", .string(WebhookTime.iso8601(answeredAt))))
            }
            end.append(("endedAt", .string(WebhookTime.iso8601(date))))
            if call.answered {
                end.append(("durationSeconds", .integer(Int64((call.talkSeconds ?? 0).rounded()))))
            }
            end.append(("endReason", .string(call.endReason)))
            body = body.adding(end)
        }
        return WebhookContent(pathAndQuery: provider.path, contentType: "application/json", body: body.bytes)
    }
}
