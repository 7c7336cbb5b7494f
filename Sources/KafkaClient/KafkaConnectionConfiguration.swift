import WireFormats

/// How a Kafka client reaches the cluster: shared by producer, consumer and admin client.
public struct KafkaConnectionConfiguration: Sendable {
    /// `host:port` of one or more brokers to bootstrap from. Default: `["127.0.0.1:9092"]`.
    public var bootstrapServers: [String]
    /// `client.id` reported to the brokers (shows in their logs and quotas). Default: `"callbridge"`.
    public var clientID: String
    /// First wait before reconnecting to a broker that failed (`reconnect.backoff.ms`). Default: 100 ms.
    public var reconnectBackoff: Duration
    /// Longest wait between reconnect attempts (`reconnect.backoff.max.ms`). Default: 1 s,
    /// not librdkafka's 10 s, so that a restarted broker is back in use within a second.
    public var reconnectBackoffMax: Duration
    /// Raw librdkafka properties, applied last so they override everything above. Default: none.
    public var additionalProperties: [String: String]

    public init(
        bootstrapServers: [String] = ["127.0.0.1:9092"],
        clientID: String = "callbridge",
        reconnectBackoff: Duration = .milliseconds(100),
        reconnectBackoffMax: Duration = .seconds(1),
        additionalProperties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.reconnectBackoff = reconnectBackoff
        self.reconnectBackoffMax = reconnectBackoffMax
        self.additionalProperties = additionalProperties
    }

    /// Parses a comma-separated broker list such as `"127.0.0.1:9092,10.0.0.2:9092"`.
    public init(brokers: String, clientID: String = "callbridge") {
        self.init(
            bootstrapServers: brokers.split(separator: ",").map { $0.trimmedWhitespaceAndNewlines() }.filter {
                !$0.isEmpty
            },
            clientID: clientID
        )
    }

    /// The connection's librdkafka properties plus a client's own `specific` ones, with
    /// ``additionalProperties`` applied last so they override both.
    func librdkafkaProperties(with specific: [String: String]) -> [String: String] {
        baseProperties
            .merging(specific) { _, client in client }
            .merging(additionalProperties) { _, override in override }
    }

    private var baseProperties: [String: String] {
        [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "reconnect.backoff.ms": String(reconnectBackoff.wholeMilliseconds),
            "reconnect.backoff.max.ms": String(reconnectBackoffMax.wholeMilliseconds),
            // Loopback and LAN latency matter more than packet count here.
            "socket.nagle.disable": "true",
            // A broker closing an idle connection is routine, not worth a log line.
            "log.connection.close": "false",
        ]
    }
}

extension Duration {
    /// This duration in whole milliseconds (rounded down), as librdkafka's `*.ms` properties take it.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
