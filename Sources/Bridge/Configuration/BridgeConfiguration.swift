import ServerSupport

/// Everything the Bridge is configured with (flags, environment and secret files, see
/// ``BridgeSettings``); the defaults here are those `--help` shows.
package struct BridgeConfiguration: Sendable {
    /// Address and port of the HTTP/WebSocket server. Default 127.0.0.1:8081.
    var host = "127.0.0.1"
    var port = 8081
    /// Kafka bootstrap servers. Default 127.0.0.1:9092.
    var kafkaBrokers = "127.0.0.1:9092"
    /// Topic of call lifecycle events. Default calls.lifecycle.v1.
    var topic = "calls.lifecycle.v1"
    /// Partitions the topic is expected to have (Ingest creates it with its own
    /// `TOPIC_PARTITIONS`); the Bridge reads whatever there are, and reports another count.
    /// Default 6.
    var topicPartitions = 6
    /// Longest time the broker may hold a fetch when there is nothing new. Default 5 ms
    /// (librdkafka: 500 ms). Apache Kafka answers a fetch as soon as data arrives, so there
    /// this only sets how often an idle consumer asks; the embedded Tansu does not answer as
    /// soon as records arrive, so there a longer wait means later delivery. 5 ms met the
    /// latency target; 2 ms cost Tansu most of a core (docs/benchmarks.md).
    var fetchMaxWait: Duration = .milliseconds(5)
    /// Room state is rebuilt at start from events of this window. Default 24 h.
    var replayWindow: Duration = .seconds(86_400)
    /// Room bounds (call expiry, history for resumes).
    package var rooms = RoomLimits()
    /// Per-connection limits and heartbeat.
    var connection = ConnectionSettings()
    /// Connection cap, request and idle timeouts of the HTTP server (WebSockets excepted).
    var connections = ConnectionLimits(maxConnections: 100_000)
    /// Event loop threads of the server. Default: one per core.
    var eventLoopThreads: Int?
    /// Web origins allowed to use `/socket.io/` from a browser page served elsewhere, and,
    /// with a list, to open WebSockets. Default: none (no CORS headers, any origin may
    /// open a WebSocket; tokens decide what it sees).
    var cors = CORSPolicy.none
    /// HS256 key of dashboard tokens (`BRIDGE_JWT_SECRET`). Required.
    var jwtSecret = ""
}
