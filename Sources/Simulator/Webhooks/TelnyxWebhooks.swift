import Foundation

/// Telnyx Call Control webhooks: `call.initiated` (ignored), `call.answered`, events while
/// active such as `call.dtmf.received` (ignored), `call.hangup` with `hangup_cause`, then
/// `call.recording.saved` (ignored). The clientId is in `client_state` (base64 of
/// `{"clientId":…}`), which the application set when it answered or dialled.
///
/// Telnyx bodies also carry `meta.attempt`, which grows on each retry, so a retry is other
/// bytes with the same `data.id` (Ingest derives the event id from it).
struct TelnyxWebhooks: ProviderWebhooks {
    let provider = ProviderName.telnyx

    let answeredEndReasons: [(String, Double)] = [
        ("normal_clearing", 90), ("time_limit", 3), ("unspecified", 4), ("call_rejected", 1), ("normal_unspecified", 2),
    ]
    let unansweredEndReasons: [(String, Double)] = [
        ("no_answer", 45), ("user_busy", 30), ("originator_cancel", 15), ("call_rejected", 10),
    ]
    let optionalStages: [(CallStage, Double)] = [(.ringing, 0.9), (.progress, 0.3), (.afterEnd, 0.3)]

    func identifiers(using random: inout SeededRandom) -> CallIdentifiers {
        CallIdentifiers(
            callId: "v3:" + random.alphanumeric(54),
            others: [
                "callSessionId": random.uuid(), "callLegId": random.uuid(),
                "connectionId": String(1_000_000_000 + random.next() % 9_000_000_000),
            ])
    }

    func content(
        for call: SimulatedCall, stage: CallStage, at date: Date, using random: inout SeededRandom
    ) -> WebhookContent {
        let eventType: String
        let state: String
        switch stage {
        case .ringing: (eventType, state) = ("call.initiated", call.direction == .inbound ? "parked" : "bridging")
        case .started: (eventType, state) = ("call.answered", "answered")
        case .progress: (eventType, state) = ("call.dtmf.received", "answered")
        case .ended: (eventType, state) = ("call.hangup", "hangup")
        case .afterEnd: (eventType, state) = ("call.recording.saved", "hangup")
        }
        let clientState = Data(JSONText.object([("clientId", .string(call.clientId))]).bytes).base64EncodedString()
        var payload: JSONText = [
            "call_control_id": .string(call.callId),
            "connection_id": .string(call.ids["connectionId"]),
            "call_leg_id": .string(call.ids["callLegId"]),
            "call_session_id": .string(call.ids["callSessionId"]),
            "client_state": .string(clientState),
            "from": .string(call.from),
            "to": .string(call.to),
            "direction": .string(call.direction == .inbound ? "incoming" : "outgoing"),
            "state": .string(state),
        ]
        let ended = stage == .ended || stage == .afterEnd
        var extra: [(String, JSONText)] = []
        if stage != .ringing, let answeredAt = call.answeredAt {
            extra.append(("start_time", .string(WebhookTime.iso8601(answeredAt))))
        }
        if ended {
            extra.append(("end_time", .string(WebhookTime.iso8601(call.endedAt ?? date))))
        }
        if stage == .ended {
            extra.append(("hangup_cause", .string(call.endReason)))
            extra.append(("hangup_source", .string(Self.hangupSource(call, random: &random))))
        }
        if stage == .progress {
            extra.append(("digit", .string(String(random.next() % 10))))
        }
        if stage == .afterEnd {
            let url = "https://recordings.example.invalid/\(call.ids["callSessionId"]).mp3"
            extra.append(("recording_urls", .object([("mp3", .string(url))])))
        }
        payload = payload.adding(extra)
        let body: JSONText = [
            "data": [
                "record_type": "event",
                "event_type": .string(eventType),
                "id": .string(random.uuid()),
                "occurred_at": .string(WebhookTime.iso8601(date)),
                "payload": payload,
            ],
            "meta": ["attempt": 1, "delivered_to": .string("/webhooks/telnyx")],
        ]
        return WebhookContent(pathAndQuery: provider.path, contentType: "application/json", body: body.bytes)
    }

    func retry(of content: WebhookContent, attempt: Int) -> WebhookContent {
        // The body is rendered by `content(for:…)` with `"meta":{"attempt":1,` in it.
        let first = Array(#""meta":{"attempt":1,"#.utf8)
        guard let range = content.body.firstRange(of: first) else { return content }
        var retried = content
        retried.body.replaceSubrange(range, with: Array(#""meta":{"attempt":\#(attempt),"#.utf8))
        return retried
    }

    private static func hangupSource(_ call: SimulatedCall, random: inout SeededRandom) -> String {
        guard call.answered else { return call.endReason == "originator_cancel" ? "caller" : "callee" }
        return random.chance(0.55) ? "caller" : "callee"
    }
}
