import Foundation

/// The live line on standard error, once a second: on a terminal it rewrites itself in
/// place; elsewhere (`--progress` into a file or pipe) each report is a line of its own.
struct ProgressLine: Sendable {
    let overwrites: Bool

    func render(_ s: RunStatistics, elapsedSeconds: Double) -> String {
        let rate = elapsedSeconds > 0 ? Double(s.sent) / elapsedSeconds : 0
        var parts = [
            "\(Self.clock(elapsedSeconds))",
            "sent \(s.sent) (\(RunSummary.fixed(rate, 1))/s)",
            "202 \(s.accepted)",
            "ignored \(s.ignored)",
            "active calls \(s.activeCalls)",
            "ended \(s.callsFinished)",
            "p50 \(RunSummary.fixed(s.latencyMilliseconds(50), 1)) ms",
            "p99 \(RunSummary.fixed(s.latencyMilliseconds(99), 1)) ms",
        ]
        if s.retried > 0 { parts.append("retried \(s.retried)") }
        if s.unexpected > 0 { parts.append("UNEXPECTED \(s.unexpected)") }
        return parts.joined(separator: "  ")
    }

    func write(_ line: String) {
        let text = overwrites ? "\r\u{1B}[K" + line : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Clears the in-place line so the summary starts on a clean one.
    func finish() {
        if overwrites { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds)
        let (hours, minutes, secs) = (total / 3600, (total / 60) % 60, total % 60)
        let mmss = String(format: "%02d:%02d", minutes, secs)
        return hours > 0 ? "\(hours):\(mmss)" : mmss
    }
}
