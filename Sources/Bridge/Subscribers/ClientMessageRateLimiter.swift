import NIOCore

/// A token bucket for one connection's messages: `rate` per second sustained, bursts up to
/// `burst`. Loop-confined, like its connection.
struct ClientMessageRateLimiter {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var updatedAt: NIODeadline

    init(messagesPerSecond rate: Int, now: NIODeadline = .now()) {
        self.rate = Double(rate)
        self.burst = Double(rate * 2)
        self.tokens = Double(rate * 2)
        self.updatedAt = now
    }

    /// Takes a token for one message; false when the client is over its rate.
    mutating func allow(now: NIODeadline = .now()) -> Bool {
        let elapsed = Double((now - updatedAt).nanoseconds) / 1e9
        tokens = min(burst, tokens + max(0, elapsed) * rate)
        updatedAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
