import CRdKafka
import Logging
import Synchronization

/// Owns one librdkafka handle (`rd_kafka_t`) and its callbacks.
///
/// This folder is the only place that imports the C module: everything else in the
/// library talks to librdkafka through this class and its extensions, in Swift types.
/// librdkafka handles are thread-safe, hence `@unchecked Sendable`.
final class RdKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let kind: Kind
    let handle: OpaquePointer
    private let context: Unmanaged<CallbackContext>

    /// What librdkafka's callbacks need, reached through the handle's opaque pointer
    /// (C callbacks cannot capture Swift context).
    final class CallbackContext: Sendable {
        let logger: Logger
        let fatalError = Mutex<KafkaError?>(nil)

        init(logger: Logger) { self.logger = logger }
    }

    private init(kind: Kind, handle: OpaquePointer, context: Unmanaged<CallbackContext>) {
        self.kind = kind
        self.handle = handle
        self.context = context
    }

    deinit {
        rd_kafka_destroy(handle)
        context.release()
    }

    /// Creates a handle from librdkafka properties; a rejected property is a configuration error.
    static func make(kind: Kind, properties: [String: String], logger: Logger) throws(KafkaError) -> RdKafkaClient {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .configuration,
                    reason: "property \(name): \(String(errorBuffer: errorText))",
                    isRetriable: false
                )
            }
        }

        let context = Unmanaged.passRetained(CallbackContext(logger: logger))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_log_cb(conf, logCallback)
        rd_kafka_conf_set_error_cb(conf, errorCallback)
        if kind == .producer {
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        }

        // On success rd_kafka_new takes ownership of conf; on failure it stays ours.
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            throw KafkaError(code: .configuration, reason: String(errorBuffer: errorText), isRetriable: false)
        }
        return RdKafkaClient(kind: kind, handle: handle, context: context)
    }

    /// The error that made this handle unusable, if one happened.
    var fatalError: KafkaError? {
        context.takeUnretainedValue().fatalError.withLock { $0 }
    }

    /// Serves queued callbacks (delivery reports, logs, errors) for up to `timeoutMilliseconds`.
    @discardableResult
    func poll(timeoutMilliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// The partition ids of `topic`, read from fresh broker metadata.
    func partitionIDs(topic: String, timeoutMilliseconds: Int32) throws(KafkaError) -> [Int32] {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError.fromLastError(context: "topic \(topic)")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }

        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(error, context: "metadata of \(topic)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }

        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == topic else { continue }
            if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(entry.err, context: "metadata of \(topic)")
            }
            if entry.partition_cnt == 0 {
                throw KafkaError(
                    code: .unknownTopicOrPartition, reason: "topic \(topic) has no partitions", isRetriable: true)
            }
            return (0..<Int(entry.partition_cnt)).map { entry.partitions[$0].id }.sorted()
        }
        throw KafkaError(
            code: .unknownTopicOrPartition, reason: "topic \(topic) is not in the broker's metadata", isRetriable: true)
    }
}

// MARK: - Callbacks (C function pointers: no captures, context through the opaque pointer)

private func callbackContext(_ handle: OpaquePointer?) -> RdKafkaClient.CallbackContext? {
    guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
    return Unmanaged<RdKafkaClient.CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
}

private let logCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void =
    {
        handle, level, facility, message in
        guard let context = callbackContext(handle), let message else { return }
        // syslog levels: 0-3 are errors, 4 warning, 5-6 notice/info, 7 debug.
        let swiftLevel: Logger.Level
        switch level {
        case ...3: swiftLevel = .error
        case 4: swiftLevel = .warning
        case 5...6: swiftLevel = .info
        default: swiftLevel = .debug
        }
        context.logger.log(
            level: swiftLevel,
            "\(String(cString: message))",
            metadata: ["librdkafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
        )
    }

private let errorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, _ in
        guard let handle, let context = callbackContext(handle) else { return }
        let error = rd_kafka_resp_err_t(code)
        if error == RD_KAFKA_RESP_ERR__FATAL {
            var text = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(handle, &text, text.count)
            let fatal = KafkaError(
                code: .fatal,
                reason: String(errorBuffer: text),
                isRetriable: false,
                librdkafkaName: String(cString: rd_kafka_err2name(original))
            )
            context.fatalError.withLock { $0 = fatal }
            context.logger.critical("librdkafka fatal error", metadata: ["error": "\(fatal)"])
            return
        }
        // Connection failures repeat while a broker is down; librdkafka already rate-limits them.
        context.logger.warning(
            "librdkafka error",
            metadata: [
                "error": "\(String(cString: rd_kafka_err2name(error)))",
                "reason": "\(reason.map { String(cString: $0) } ?? "")",
            ]
        )
    }

extension String {
    /// Text librdkafka wrote into a caller-provided, NUL-terminated `char` buffer.
    init(errorBuffer: [CChar]) {
        self.init(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
