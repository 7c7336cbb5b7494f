import CRdKafka
import NIOCore

/// A start offset in librdkafka's terms.
enum RdKafkaOffset: Sendable, Hashable {
    case beginning
    case end
    case exact(Int64)

    fileprivate var rawValue: Int64 {
        switch self {
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .exact(let offset): offset
        }
    }
}

extension RdKafkaClient {
    /// Routes the main queue (logs, errors) to the consumer queue, so one
    /// `consume` call serves both.
    func redirectMainQueueToConsumer() {
        rd_kafka_poll_set_consumer(handle)
    }

    func subscribe(topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let error = rd_kafka_subscribe(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "subscribe to \(topics.joined(separator: ","))")
        }
    }

    /// Adds partitions to this consumer's manual assignment, each starting at its offset.
    func incrementalAssign(topic: String, partitions: [(partition: Int32, offset: RdKafkaOffset)]) throws(KafkaError) {
        let list = makeList(topic: topic, partitions: partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_incremental_assign(handle, list) {
            throw KafkaError(consuming: error, context: "assign \(topic)")
        }
    }

    /// Removes partitions from this consumer's manual assignment.
    func incrementalUnassign(topic: String, partitions: [Int32]) throws(KafkaError) {
        let list = makeList(topic: topic, partitions: partitions.map { ($0, .beginning) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_incremental_unassign(handle, list) {
            throw KafkaError(consuming: error, context: "unassign \(topic)")
        }
    }

    /// The first offset at or after `timestampMilliseconds` in each partition, as the broker
    /// answers ListOffsets; `.end` where no record is that new.
    func offsetsForTimes(
        topic: String,
        partitions: [Int32],
        timestampMilliseconds: Int64,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [Int32: RdKafkaOffset] {
        let list = makeList(topic: topic, partitions: partitions.map { ($0, .exact(timestampMilliseconds)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_offsets_for_times(handle, list, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "offsets for times of \(topic)")
        }
        var offsets: [Int32: RdKafkaOffset] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            offsets[element.partition] = element.offset < 0 ? .end : .exact(element.offset)
        }
        return offsets
    }

    /// What one ``consume(maximumRecords:timeoutMilliseconds:)`` call read.
    struct ConsumeResult {
        var records: [KafkaConsumerRecord] = []
        var errors: [KafkaError] = []
        /// Partitions whose fetch position the broker no longer holds (with
        /// `auto.offset.reset=error`), and that position. librdkafka stops fetching them.
        var outOfRange: [Int32: Int64] = [:]
        /// A connection to a broker was lost. The call stops there, so that no record fetched
        /// after the loss is handed out before the caller has reacted.
        var lostConnection = false
    }

    /// Waits up to `timeoutMilliseconds` for a first record, then takes whatever else is
    /// already fetched, up to `maximumRecords`. Errors reported instead of records are returned too.
    func consume(maximumRecords: Int, timeoutMilliseconds: Int32) -> ConsumeResult {
        var result = ConsumeResult()
        var timeout = timeoutMilliseconds
        var topicCache: (pointer: OpaquePointer, name: String)? = nil
        while result.records.count < maximumRecords, !result.lostConnection,
            let message = rd_kafka_consumer_poll(handle, timeout)
        {
            timeout = 0
            defer { rd_kafka_message_destroy(message) }
            let topicName: String
            if let rkt = message.pointee.rkt {
                if let cached = topicCache, cached.pointer == rkt {
                    topicName = cached.name
                } else {
                    topicName = String(cString: rd_kafka_topic_name(rkt))
                    topicCache = (rkt, topicName)
                }
            } else {
                topicName = ""
            }
            switch message.pointee.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                result.records.append(makeRecord(message, topic: topicName))
            case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
                result.outOfRange[message.pointee.partition] = message.pointee.offset
            default:
                let reason = rd_kafka_message_errstr(message).map { String(cString: $0) }
                let error = KafkaError(message.pointee.err, context: "consume \(topicName)", reason: reason)
                if error.code == .transport { result.lostConnection = true }
                result.errors.append(error)
            }
        }
        return result
    }

    /// Leaves the group (if any) and stops fetching. Blocks until done.
    func closeConsumer() {
        _ = rd_kafka_consumer_close(handle)
    }

    private func makeList(
        topic: String, partitions: [(partition: Int32, offset: RdKafkaOffset)]
    ) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        for (partition, offset) in partitions {
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = offset.rawValue
        }
        return list
    }

    private func makeRecord(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaConsumerRecord {
        let value = Self.buffer(message.pointee.payload, count: message.pointee.len) ?? ByteBuffer()
        let key = Self.buffer(message.pointee.key, count: message.pointee.key_len)

        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer? = nil
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var valuePointer: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR
            {
                if let name {
                    headers.append(
                        KafkaHeader(
                            key: String(cString: name),
                            value: Self.buffer(UnsafeMutableRawPointer(mutating: valuePointer), count: size)
                        ))
                }
                index += 1
            }
        }

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaConsumerRecord(
            topic: topic,
            partition: message.pointee.partition,
            offset: message.pointee.offset,
            key: key,
            value: value,
            headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }

    private static func buffer(_ pointer: UnsafeMutableRawPointer?, count: Int) -> ByteBuffer? {
        guard let pointer else { return nil }
        return ByteBuffer(bytes: UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
