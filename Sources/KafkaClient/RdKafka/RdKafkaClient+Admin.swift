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
        guard let newTopic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errorText, errorText.count)
        else {
            throw KafkaError(
                code: .invalidArgument, reason: "topic \(name): \(String(errorBuffer: errorText))", isRetriable: false)
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }

        let context = "create topic \(name)"
        return try adminRequest(
            RD_KAFKA_ADMIN_OP_CREATETOPICS, timeoutMilliseconds: timeoutMilliseconds, context: context
        ) { options, queue in
            var topics: [OpaquePointer?] = [newTopic]
            rd_kafka_CreateTopics(handle, &topics, 1, options, queue)
        } result: { event throws(KafkaError) in
            var count = 0
            guard let result = rd_kafka_event_CreateTopics_result(event),
                let results = rd_kafka_CreateTopics_result_topics(result, &count), count > 0,
                let topicResult = results[0]
            else {
                throw KafkaError(code: .brokerError, reason: "\(context): empty result", isRetriable: true)
            }
            let topicError = rd_kafka_topic_result_error(topicResult)
            switch topicError {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                return true
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                return false
            default:
                let reason = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
                throw KafkaError(topicError, context: context, reason: reason)
            }
        }
    }

    /// The topic's id (nil when the broker gives none) and partition ids, sorted.
    /// - Throws: ``KafkaError/Code/unknownTopicOrPartition`` when the topic does not exist.
    func describeTopic(
        _ name: String, timeoutMilliseconds: Int32
    ) throws(KafkaError) -> (id: KafkaTopicID?, partitions: [Int32]) {
        let context = "describe topic \(name)"
        return try adminRequest(
            RD_KAFKA_ADMIN_OP_DESCRIBETOPICS, timeoutMilliseconds: timeoutMilliseconds, context: context
        ) { options, queue in
            var names: [UnsafePointer<CChar>?] = []
            name.withCString { pointer in
                names.append(pointer)
                let collection = rd_kafka_TopicCollection_of_topic_names(&names, 1)
                rd_kafka_DescribeTopics(handle, collection, options, queue)
                rd_kafka_TopicCollection_destroy(collection)
            }
        } result: { event throws(KafkaError) in
            var count = 0
            guard let result = rd_kafka_event_DescribeTopics_result(event),
                let topics = rd_kafka_DescribeTopics_result_topics(result, &count), count > 0, let topic = topics[0]
            else {
                throw KafkaError(code: .brokerError, reason: "\(context): empty result", isRetriable: true)
            }
            if let error = rd_kafka_TopicDescription_error(topic),
                rd_kafka_error_code(error) != RD_KAFKA_RESP_ERR_NO_ERROR
            {
                throw KafkaError(
                    rd_kafka_error_code(error), context: context, reason: String(cString: rd_kafka_error_string(error)))
            }
            var partitionCount = 0
            let infos = rd_kafka_TopicDescription_partitions(topic, &partitionCount)
            let partitions = (0..<partitionCount).compactMap { index in
                infos?[index].map { Int32(rd_kafka_TopicPartitionInfo_partition($0)) }
            }
            guard !partitions.isEmpty else {
                throw KafkaError(
                    code: .unknownTopicOrPartition, reason: "\(context): topic has no partitions", isRetriable: true)
            }
            var id: KafkaTopicID?
            if let uuid = rd_kafka_TopicDescription_topic_id(topic) {
                let candidate = KafkaTopicID(
                    mostSignificantBits: UInt64(bitPattern: rd_kafka_Uuid_most_significant_bits(uuid)),
                    leastSignificantBits: UInt64(bitPattern: rd_kafka_Uuid_least_significant_bits(uuid))
                )
                id = candidate == KafkaTopicID(mostSignificantBits: 0, leastSignificantBits: 0) ? nil : candidate
            }
            return (id, partitions.sorted())
        }
    }

    /// Sends one admin request and reads its result event. Blocks until the broker answers or
    /// `timeoutMilliseconds` pass.
    private func adminRequest<Result>(
        _ operation: rd_kafka_admin_op_t,
        timeoutMilliseconds: Int32,
        context: String,
        send: (_ options: OpaquePointer, _ queue: OpaquePointer) -> Void,
        result: (OpaquePointer) throws(KafkaError) -> Result
    ) throws(KafkaError) -> Result {
        var errorText = [CChar](repeating: 0, count: 512)
        let queue = rd_kafka_queue_new(handle)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, operation)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        if operation == RD_KAFKA_ADMIN_OP_CREATETOPICS {
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        }
        send(options, queue)

        // Admin results arrive on the queue; wait a little longer than the request itself.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(
                code: .timedOut, reason: "\(context): no answer within \(timeoutMilliseconds) ms", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let requestError = rd_kafka_event_error(event)
        if requestError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) }
            throw KafkaError(requestError, context: context, reason: reason)
        }
        return try result(event)
    }
}
