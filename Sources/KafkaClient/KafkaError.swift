/// The one error type of the Kafka client.
///
/// Every failure carries a ``Code`` (what kind of failure), whether retrying the same
/// operation later can succeed (``isRetriable``), and librdkafka's own reason text when
/// the failure came from librdkafka, so a log line says exactly what the library said.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members, e.g. `error.code == .messageTimedOut`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: String, Sendable {
            case configuration
            case messageTimedOut
            case queueFull
            case transport
            case unknownTopicOrPartition
            case topicAlreadyExists
            case timedOut
            case fatal
            case shutdown
            case invalidArgument
            case brokerError
        }

        fileprivate let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A configuration property was rejected by librdkafka, or a required one is missing.
        public static let configuration = Code(.configuration)
        /// A record was not acknowledged by the broker within the producer's delivery timeout.
        public static let messageTimedOut = Code(.messageTimedOut)
        /// librdkafka's local queue is full; the caller should slow down or retry shortly.
        public static let queueFull = Code(.queueFull)
        /// The broker could not be reached or the connection failed.
        public static let transport = Code(.transport)
        /// The topic or partition does not exist (yet).
        public static let unknownTopicOrPartition = Code(.unknownTopicOrPartition)
        /// A topic that was asked to be created exists already.
        public static let topicAlreadyExists = Code(.topicAlreadyExists)
        /// A request (metadata, admin operation, flush) did not finish within its timeout.
        public static let timedOut = Code(.timedOut)
        /// The client hit an unrecoverable error (e.g. the idempotent producer lost its state).
        public static let fatal = Code(.fatal)
        /// The client has been shut down and accepts no more work.
        public static let shutdown = Code(.shutdown)
        /// An argument was invalid (e.g. an empty topic name).
        public static let invalidArgument = Code(.invalidArgument)
        /// Any other error the broker or librdkafka reported; ``KafkaError/librdkafkaName`` says which.
        public static let brokerError = Code(.brokerError)

        public var description: String { kind.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// Human-readable reason, librdkafka's own text where it came from librdkafka.
    public let reason: String
    /// True when the same operation may succeed if tried again later (a broker that is down,
    /// a full queue, a timeout); false for errors that retrying cannot fix.
    public let isRetriable: Bool
    /// librdkafka's symbolic error name (e.g. `_MSG_TIMED_OUT`), when the error came from librdkafka.
    public let librdkafkaName: String?

    public init(code: Code, reason: String, isRetriable: Bool, librdkafkaName: String? = nil) {
        self.code = code
        self.reason = reason
        self.isRetriable = isRetriable
        self.librdkafkaName = librdkafkaName
    }

    /// True when the client that raised this error cannot be used any more.
    public var isFatal: Bool { code == .fatal }

    public var description: String {
        var text = "KafkaError(\(code)"
        if let librdkafkaName { text += ", \(librdkafkaName)" }
        text += isRetriable ? ", retriable" : ", not retriable"
        return text + "): \(reason)"
    }
}
