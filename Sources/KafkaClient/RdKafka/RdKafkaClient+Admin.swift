import CRdKafka

extension RdKafkaClient {
    /// Creates `name` with `partitions` partitions. Returns false when it already existed.
    /// Blocks until the broker answers or `timeoutMilliseconds` pass.
    func createTopic(
        name: String,
        partitions: Int32,
        replicationFactor: Int32,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> Bool {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errorText, errorText.count) else {
            throw KafkaError(code: .invalidArgument, reason: "topic \(name): \(String(errorBuffer: errorText))", isRetriable: false)
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }

        let queue = rd_kafka_queue_new(handle)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)

        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(handle, &topics, 1, options, queue)

        // Admin results arrive on the queue; wait a little longer than the request itself.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(code: .timedOut, reason: "create topic \(name): no answer within \(timeoutMilliseconds) ms", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }

        let requestError = rd_kafka_event_error(event)
        if requestError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) }
            throw KafkaError(requestError, context: "create topic \(name)", reason: reason)
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: .brokerError, reason: "create topic \(name): unexpected admin event", isRetriable: true)
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count), count > 0, let topicResult = results[0] else {
            throw KafkaError(code: .brokerError, reason: "create topic \(name): empty result", isRetriable: true)
        }
        let topicError = rd_kafka_topic_result_error(topicResult)
        switch topicError {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return true
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return false
        default:
            let reason = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
            throw KafkaError(topicError, context: "create topic \(name)", reason: reason)
        }
    }
}
