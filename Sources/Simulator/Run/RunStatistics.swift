import Histogram

/// What a run sent and what Ingest answered: the summary's and the progress line's figures.
struct RunStatistics: Sendable {
    /// Counts of one provider's deliveries.
    struct ProviderCounts: Sendable {
        var sent = 0
        var accepted = 0
        var ignored = 0
        var unexpected = 0
    }

    /// Every HTTP attempt, whatever its purpose.
    var sent = 0
    /// Answers by HTTP status (attempts that got none are in `transportErrors`).
    var statuses: [Int: Int] = [:]
    /// Attempts without an answer: no connection, connection closed, no answer in time.
    var transportErrors = 0
    /// 202 answers.
    var accepted = 0
    /// 200 `{"status":"ignored"}` answers.
    var ignored = 0
    /// Answers other than the one expected (see `DeliveryPurpose`), transport errors included.
    var unexpected = 0
    /// The first few unexpected answers, described (no secrets: Ingest's messages name none).
    var unexpectedSamples: [String] = []
    /// Deliberate retries of a delivery (same body), and those answered 202 with the same event id.
    var retried = 0
    var retriedSameEventId = 0
    /// Forged deliveries, and those refused 401 as they must be.
    var forged = 0
    var refusedAsIntended = 0
    /// Deliveries sent again after a 503 or a network failure.
    var resent = 0
    /// Lifecycle events accepted, once per call and type (retries and resends not counted).
    var events: [String: Int] = ["call.started": 0, "call.ended": 0]
    var byProvider: [ProviderName: ProviderCounts] = [:]
    /// Calls begun, finished (every planned delivery answered), answered/unanswered among
    /// the finished, and given up after repeated failures.
    var callsStarted = 0
    var callsFinished = 0
    var callsAnswered = 0
    var callsUnanswered = 0
    var callsAbandoned = 0
    var activeCalls = 0
    var maxActiveCalls = 0
    /// Answer latency in microseconds (1 µs to 60 s, 3 significant digits).
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    static let sampleLimit = 10

    mutating func recordUnexpected(_ description: String, provider: ProviderName) {
        unexpected += 1
        byProvider[provider, default: ProviderCounts()].unexpected += 1
        if unexpectedSamples.count < Self.sampleLimit { unexpectedSamples.append(description) }
    }

    mutating func recordLatency(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        _ = latency.record(UInt64(min(microseconds, 60_000_000)))
    }

    /// Latency at `percentile` (0–100) in milliseconds; 0 before any answer.
    func latencyMilliseconds(_ percentile: Double) -> Double {
        latency.totalCount == 0 ? 0 : Double(latency.valueAtPercentile(percentile)) / 1000
    }

    var maxLatencyMilliseconds: Double {
        latency.totalCount == 0 ? 0 : Double(latency.max) / 1000
    }
}
