import CRdKafka

extension KafkaError {
    /// Translates a librdkafka error code, keeping librdkafka's reason text and name.
    init(_ error: rd_kafka_resp_err_t, context: String, reason: String? = nil) {
        let name = String(cString: rd_kafka_err2name(error))
        let text = reason ?? String(cString: rd_kafka_err2str(error))
        let (code, retriable) = Self.classify(error)
        self.init(code: code, reason: "\(context): \(text)", isRetriable: retriable, librdkafkaName: name)
    }

    /// Translates a librdkafka error object (which knows whether it is retriable or fatal) and destroys it.
    init(consuming error: OpaquePointer, context: String) {
        let errorCode = rd_kafka_error_code(error)
        let name = String(cString: rd_kafka_error_name(error))
        let text = String(cString: rd_kafka_error_string(error))
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let retriable = rd_kafka_error_is_retriable(error) != 0
        rd_kafka_error_destroy(error)
        let (code, classifiedRetriable) = Self.classify(errorCode)
        self.init(
            code: fatal ? .fatal : code,
            reason: "\(context): \(text)",
            isRetriable: !fatal && (retriable || classifiedRetriable),
            librdkafkaName: name
        )
    }

    /// The error of the last failed call on this thread (for calls that return NULL).
    static func fromLastError(context: String) -> KafkaError {
        KafkaError(rd_kafka_last_error(), context: context)
    }

    private static func classify(_ error: rd_kafka_resp_err_t) -> (Code, Bool) {
        switch error {
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            return (.messageTimedOut, true)
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return (.queueFull, true)
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            return (.timedOut, true)
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
            return (.transport, true)
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_ID:
            return (.unknownTopicOrPartition, true)
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return (.topicAlreadyExists, false)
        case RD_KAFKA_RESP_ERR__FATAL:
            return (.fatal, false)
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
            RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION,
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return (.invalidArgument, false)
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return (.shutdown, false)
        default:
            return (.brokerError, true)
        }
    }
}
