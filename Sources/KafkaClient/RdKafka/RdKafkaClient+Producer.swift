import CRdKafka
import NIOCore

extension RdKafkaClient {
    /// Hands the delivery's record to librdkafka. Its delivery report (served by
    /// ``poll(timeoutMilliseconds:)``) completes `delivery`; when librdkafka refuses the
    /// record at once, the error is thrown and `delivery` is left untouched.
    func produce(_ delivery: PendingDelivery) throws(KafkaError) {
        let record = delivery.record
        let promise = Unmanaged.passRetained(delivery)

        var headers: OpaquePointer? = nil
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                if let value = header.value {
                    value.withUnsafeReadableBytes { bytes in
                        _ = rd_kafka_header_add(headers, header.key, -1, bytes.baseAddress, bytes.count)
                    }
                } else {
                    _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
            }
        }

        let partition = record.partition ?? RD_KAFKA_PARTITION_UA
        let error: OpaquePointer? = record.value.withUnsafeReadableBytes { value in
            func produce(key: UnsafeRawBufferPointer?) -> OpaquePointer? {
                record.topic.withCString { topic in
                    callbridge_produce(
                        handle,
                        topic,
                        partition,
                        key?.baseAddress,
                        key?.count ?? 0,
                        value.baseAddress,
                        value.count,
                        headers,
                        record.timestampMilliseconds ?? 0,
                        promise.toOpaque()
                    )
                }
            }
            if let key = record.key {
                // An empty key still needs a non-NULL pointer to count as a key.
                return key.readableBytes == 0
                    ? withUnsafeBytes(of: UInt8(0)) { produce(key: UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
                    : key.withUnsafeReadableBytes { produce(key: $0) }
            }
            return produce(key: nil)
        }

        if let error {
            if let headers { rd_kafka_headers_destroy(headers) }
            promise.release()
            throw KafkaError(consuming: error, context: "produce to \(record.topic)")
        }
    }

    /// Waits up to `timeoutMilliseconds` for every queued record to be acknowledged or fail.
    /// Returns false when records were still outstanding at the timeout.
    func flush(timeoutMilliseconds: Int32) -> Bool {
        rd_kafka_flush(handle, timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Fails every record still queued or in flight (their sends get a shutdown error).
    func purgeOutstanding() {
        _ = rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        // Purged records' delivery reports are served by the next poll.
        rd_kafka_poll(handle, 0)
    }

    /// Records handed to librdkafka and not yet reported.
    var outstandingCount: Int {
        Int(rd_kafka_outq_len(handle))
    }
}

let deliveryReportCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let delivery = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
        let topic = delivery.record.topic
        if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            delivery.succeed(
                KafkaDelivery(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset))
        } else {
            delivery.fail(KafkaError(message.pointee.err, context: "delivery to \(topic)"))
        }
    }
