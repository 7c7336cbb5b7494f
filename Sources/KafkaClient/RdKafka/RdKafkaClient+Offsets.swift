import CRdKafka

extension RdKafkaClient {
    /// The end offset (high watermark: the offset the next record will get) of each
    /// partition, asked of the partition leaders. Blocks up to `timeoutMilliseconds` per partition.
    func queryEndOffsets(
        topic: String, partitions: [Int32], timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [Int32: Int64] {
        var ends: [Int32: Int64] = [:]
        for partition in partitions {
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(error, context: "end offset of \(topic)/\(partition)")
            }
            ends[partition] = high
        }
        return ends
    }

    /// For each partition: the consumer's position (the offset of the next record it will
    /// hand out, nil before the first fetch) and the end offset last reported by the broker
    /// in a fetch response (nil until then). Local: no network round trip.
    func cachedProgress(topic: String, partitions: [Int32]) -> [Int32: (position: Int64?, end: Int64?)] {
        guard !partitions.isEmpty else { return [:] }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions {
            rd_kafka_topic_partition_list_add(list, topic, partition)
        }
        _ = rd_kafka_position(handle, list)
        var progress: [Int32: (position: Int64?, end: Int64?)] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var low: Int64 = -1
            var high: Int64 = -1
            let error = rd_kafka_get_watermark_offsets(handle, topic, element.partition, &low, &high)
            progress[element.partition] = (
                position: element.offset >= 0 ? element.offset : nil,
                end: error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
            )
        }
        return progress
    }
}
