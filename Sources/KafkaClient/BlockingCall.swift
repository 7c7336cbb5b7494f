import NIOPosix

/// Runs a blocking librdkafka call (metadata, admin, flush, close) on NIO's blocking-I/O
/// thread pool, so it never occupies a thread of Swift's cooperative pool.
///
/// Deliberately not cancellation-aware: shutdown work (flushing the producer, closing the
/// consumer) runs after the service's task was cancelled and must still happen.
func runBlocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        NIOThreadPool.singleton.submit { state in
            guard case .active = state else {
                continuation.resume(
                    throwing: KafkaError(
                        code: .shutdown, reason: "the blocking thread pool is shut down", isRetriable: false))
                return
            }
            continuation.resume(with: Swift.Result { try body() })
        }
    }
}
