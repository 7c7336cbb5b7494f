import Foundation

/// The closing report of a run: a few readable lines, or one JSON object (`--json`).
package struct RunSummary: Sendable {
    var statistics: RunStatistics
    var elapsedSeconds: Double
    var targetRate: Double
    var url: String
    var clients: Int
    /// Connections opened to Ingest over the run (reconnections included): keep-alive
    /// connections carry many webhooks each.
    var connectionsOpened: Int
    /// Why the run ended early, if it did.
    var abortReason: String?
    /// Whether SIGINT/SIGTERM cut the run short (calls in progress hung up).
    var interrupted: Bool

    /// True when everything Ingest answered was what the simulator expected.
    package var succeeded: Bool {
        statistics.unexpected == 0 && abortReason == nil
    }

    var achievedRate: Double {
        elapsedSeconds > 0 ? Double(statistics.sent) / elapsedSeconds : 0
    }

    package var text: String {
        let s = statistics
        var lines: [String] = []
        lines.append(
            "callbridge-sim: \(s.sent) webhooks in \(Self.fixed(elapsedSeconds, 1)) s (\(Self.fixed(achievedRate, 1))/s, target \(Self.fixed(targetRate, 1))/s) to \(url)"
        )
        lines.append(
            "  calls        \(s.callsStarted) started, \(s.callsFinished) finished (\(s.callsAnswered) answered, \(s.callsUnanswered) never answered), \(s.callsAbandoned) abandoned, at most \(s.maxActiveCalls) at once"
        )
        lines.append(
            "  202 accepted \(s.accepted)  (call.started \(s.events["call.started"] ?? 0), call.ended \(s.events["call.ended"] ?? 0))"
        )
        lines.append("  200 ignored  \(s.ignored)")
        let others = s.statuses.filter { $0.key != 202 && !($0.key == 200) }.sorted { $0.key < $1.key }
        let otherOK = (s.statuses[200] ?? 0) - s.ignored
        for (status, count) in others {
            lines.append("  \(status)          \(count)")
        }
        if otherOK > 0 { lines.append("  200 (other)  \(otherOK)") }
        if s.transportErrors > 0 { lines.append("  no answer    \(s.transportErrors)") }
        lines.append("  retried      \(s.retried) (same event id: \(s.retriedSameEventId))")
        if s.forged > 0 { lines.append("  forged       \(s.forged) (refused 401 as intended: \(s.refusedAsIntended))") }
        if s.resent > 0 { lines.append("  resent       \(s.resent) (after 503 or no answer)") }
        lines.append(
            "  latency      p50 \(Self.fixed(s.latencyMilliseconds(50), 1)) ms  p90 \(Self.fixed(s.latencyMilliseconds(90), 1)) ms  p99 \(Self.fixed(s.latencyMilliseconds(99), 1)) ms  max \(Self.fixed(s.maxLatencyMilliseconds, 1)) ms"
        )
        let byProvider = ProviderName.allCases.compactMap { provider -> String? in
            guard let counts = s.byProvider[provider] else { return nil }
            return "\(provider.rawValue) \(counts.sent)"
        }
        lines.append(
            "  providers    \(byProvider.joined(separator: ", "))  (\(clients) clients, \(connectionsOpened) connections)"
        )
        if interrupted { lines.append("  interrupted: calls in progress were hung up") }
        if let abortReason { lines.append("  ABORTED: \(abortReason)") }
        if s.unexpected > 0 {
            lines.append("  UNEXPECTED   \(s.unexpected) answer(s), e.g.:")
            for sample in s.unexpectedSamples { lines.append("    \(sample)") }
        } else if abortReason == nil {
            lines.append("  every answer was the expected one")
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let s = statistics
        func count(_ value: Int) -> JSONText { .integer(Int64(value)) }
        func milliseconds(_ value: Double) -> JSONText { .number(Self.rounded(value, 3)) }
        var providerCounts: [(String, JSONText)] = []
        for provider in ProviderName.allCases {
            guard let counts = s.byProvider[provider] else { continue }
            let members: [(String, JSONText)] = [
                ("sent", count(counts.sent)), ("accepted", count(counts.accepted)),
                ("ignored", count(counts.ignored)), ("unexpected", count(counts.unexpected)),
            ]
            providerCounts.append((provider.rawValue, .object(members)))
        }
        let statuses: [(String, JSONText)] = s.statuses.sorted { $0.key < $1.key }.map {
            (String($0.key), count($0.value))
        }
        let events: [(String, JSONText)] = s.events.sorted { $0.key < $1.key }.map { ($0.key, count($0.value)) }
        let samples: [JSONText] = s.unexpectedSamples.map { JSONText.string($0) }
        let calls: [(String, JSONText)] = [
            ("started", count(s.callsStarted)), ("finished", count(s.callsFinished)),
            ("answered", count(s.callsAnswered)), ("unanswered", count(s.callsUnanswered)),
            ("abandoned", count(s.callsAbandoned)), ("maxActive", count(s.maxActiveCalls)),
        ]
        let latency: [(String, JSONText)] = [
            ("p50", milliseconds(s.latencyMilliseconds(50))), ("p90", milliseconds(s.latencyMilliseconds(90))),
            ("p99", milliseconds(s.latencyMilliseconds(99))), ("max", milliseconds(s.maxLatencyMilliseconds)),
        ]
        let rate: [(String, JSONText)] = [
            ("target", .number(targetRate)), ("achieved", .number(Self.rounded(achievedRate, 2))),
        ]
        let document: [(String, JSONText)] = [
            ("url", .string(url)),
            ("elapsedSeconds", .number(Self.rounded(elapsedSeconds, 3))),
            ("rate", .object(rate)),
            ("sent", count(s.sent)),
            ("accepted", count(s.accepted)),
            ("ignored", count(s.ignored)),
            ("statuses", .object(statuses)),
            ("transportErrors", count(s.transportErrors)),
            ("unexpected", count(s.unexpected)),
            ("unexpectedSamples", .array(samples)),
            ("retried", count(s.retried)),
            ("retriedSameEventId", count(s.retriedSameEventId)),
            ("forged", count(s.forged)),
            ("refusedAsIntended", count(s.refusedAsIntended)),
            ("resent", count(s.resent)),
            ("events", .object(events)),
            ("calls", .object(calls)),
            ("providers", .object(providerCounts)),
            ("clients", count(clients)),
            ("connectionsOpened", count(connectionsOpened)),
            ("latencyMs", .object(latency)),
            ("interrupted", .bool(interrupted)),
            ("aborted", .optional(abortReason)),
            ("ok", .bool(succeeded)),
        ]
        return JSONText.object(document).rendered
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    private static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}
