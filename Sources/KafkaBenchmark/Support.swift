import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CLOCK_MONOTONIC in nanoseconds: the clock Python's `time.monotonic_ns()` reads, so
/// both benchmarks stamp and measure with the same clock.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// A line of progress on stderr (stdout is kept for the results).
func progress(_ message: String) {
    FileHandle.standardError.write(Data("[kafka-benchmark] \(message)\n".utf8))
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Record values: 8 bytes send time (CLOCK_MONOTONIC ns, big-endian), 8 bytes sequence
/// number (``warmUpSequence`` for warm-up records), then filler up to the message size.
/// `tools/bench/kafka_baseline.py` uses the same layout.
enum BenchmarkPayload {
    static let headerSize = 16
    static let warmUpSequence = UInt64.max

    static func make(size: Int, sequence: UInt64, sentAt: UInt64) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeInteger(sentAt, endianness: .big)
        buffer.writeInteger(sequence, endianness: .big)
        buffer.writeRepeatingByte(0x78, count: size - headerSize)
        return buffer
    }

    static func decode(_ buffer: ByteBuffer) -> (sentAt: UInt64, sequence: UInt64)? {
        guard let sentAt = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt64.self),
            let sequence = buffer.getInteger(at: buffer.readerIndex + 8, endianness: .big, as: UInt64.self)
        else { return nil }
        return (sentAt, sequence)
    }
}

/// A counter shared between tasks (progress reporting).
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    /// Adds `amount` and returns the value before.
    @discardableResult
    func add(_ amount: Int = 1) -> Int { value.add(amount, ordering: .relaxed).oldValue }
    /// Adds one and returns the value before.
    func increment() -> Int { value.add(1, ordering: .relaxed).oldValue }
    var current: Int { value.load(ordering: .relaxed) }
}

/// Prints `line()` to stderr every `interval` until cancelled.
func reportProgress(
    every interval: Duration = .seconds(1), _ line: @escaping @Sendable () -> String
) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            progress(line())
        }
    }
}

/// The results, in the JSON shape `kafka_baseline.py --json` prints too.
struct BenchmarkResults: Codable, Sendable {
    var client: String
    var brokers: String
    var throughput: ThroughputResult?
    var latency: LatencyResult?

    init(client: String, brokers: String) {
        self.client = client
        self.brokers = brokers
    }

    func printSummary() {
        print("client: \(client) (brokers \(brokers))")
        if let throughput {
            print(
                String(
                    format: "throughput: %d x %d B in %.3f s = %.0f msg/s, %.2f MB/s (window %d, batch %d, %d failed)",
                    throughput.messages, throughput.messageSize, throughput.seconds,
                    throughput.messagesPerSecond, throughput.megabytesPerSecond, throughput.window,
                    throughput.batchSize, throughput.failed))
        }
        if let latency {
            print(
                String(
                    format:
                        "latency: %d sent at %.0f/s (achieved %.1f/s), %d received: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms",
                    latency.sent, latency.rate, latency.achievedRate, latency.received,
                    latency.p50Milliseconds, latency.p90Milliseconds, latency.p99Milliseconds,
                    latency.maxMilliseconds, latency.meanMilliseconds))
        }
    }
}

struct ThroughputResult: Codable, Sendable {
    var messages: Int
    var messageSize: Int
    var window: Int
    var batchSize: Int
    var seconds: Double
    var messagesPerSecond: Double
    var megabytesPerSecond: Double
    var failed: Int

    enum CodingKeys: String, CodingKey {
        case messages, window, seconds, failed
        case messageSize = "message_size"
        case batchSize = "batch_size"
        case messagesPerSecond = "msgs_per_sec"
        case megabytesPerSecond = "mb_per_sec"
    }
}

struct LatencyResult: Codable, Sendable {
    var rate: Double
    var duration: Double
    var sent: Int
    var received: Int
    var achievedRate: Double
    var p50Milliseconds: Double
    var p90Milliseconds: Double
    var p99Milliseconds: Double
    var maxMilliseconds: Double
    var meanMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case rate, duration, sent, received
        case achievedRate = "achieved_rate"
        case p50Milliseconds = "p50_ms"
        case p90Milliseconds = "p90_ms"
        case p99Milliseconds = "p99_ms"
        case maxMilliseconds = "max_ms"
        case meanMilliseconds = "mean_ms"
    }
}

/// Failed sends: counted by the phases, the first few printed.
final class FailureLog: Sendable {
    static let shared = FailureLog()
    private let count = Atomic<Int>(0)

    func note(_ error: any Error) {
        let (previous, _) = count.add(1, ordering: .relaxed)
        if previous < 5 { progress("send failed: \(error)") }
    }
}

/// One service (producer or consumer) in its own ServiceGroup, as an executable runs it;
/// ``stop()`` triggers a graceful shutdown, which flushes a producer and closes a consumer.
final class RunningService: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ service: some Service, logger: Logger) {
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [], logger: logger)
        )
        self.group = group
        self.task = Task { try await group.run() }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
