import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Kafka-compatible broker (Tansu) running as a child process on a loopback port,
/// for integration tests, benchmarks and local runs.
///
/// ```swift
/// let broker = try await EmbeddedBroker.start()       // free port, memory storage
/// defer { Task { await broker.stop() } }
/// producerConfig.bootstrapServers = broker.bootstrapServers   // "127.0.0.1:PORT"
/// ```
///
/// - ``start(_:logger:)`` returns once the broker answers a Kafka ApiVersions request
///   on its port (Tansu prints "ready" before it listens, so its output is not used).
/// - Tansu keeps everything in memory: ``restart()`` comes back on the same port but
///   empty (topics and committed offsets are gone).
/// - Tansu's stdout and stderr go to ``logPath``, a file in a fresh temporary directory.
///   The directory is removed when the broker is deallocated, unless Tansu died on its
///   own at some point (then the log is kept for a post-mortem). A failed start keeps it
///   too: ``EmbeddedBrokerError/logPath`` names it.
/// - Tansu cannot outlive the process that started it, even if that process is killed
///   with SIGKILL (see `TansuProcess`). A broker that is released while still running
///   is stopped in `deinit` (without waiting); call ``stop()`` to wait for the exit.
///
/// All members are safe to call from any task; ``stop()`` and ``restart()`` are
/// serialised.
public final class EmbeddedBroker: Sendable {
    /// The configuration this broker was started with.
    public let configuration: Configuration
    /// The address Tansu listens on, e.g. `"127.0.0.1"`.
    public let host: String
    /// The port Tansu listens on (chosen at start, kept across ``restart()``).
    public let port: Int
    /// The Tansu executable in use.
    public let tansuPath: String
    /// The file receiving Tansu's stdout and stderr (appended to on ``restart()``).
    public let logPath: String

    private let logger: Logger
    private let running: Mutex<TansuProcess?>
    private let lifecycle = AsyncLock()
    private let portIsReserved: Bool
    /// Set once Tansu is seen to have exited without being asked to: keeps the log.
    private let sawUnexpectedExit = Mutex(false)

    /// `"HOST:PORT"` for Kafka clients' `bootstrap.servers`, e.g. `"127.0.0.1:41234"`.
    public var bootstrapServers: String { Self.address(host: host, port: port) }

    /// Whether the Tansu process is running (false after ``stop()`` or if it died).
    public var isRunning: Bool {
        running.withLock { $0?.isRunning ?? false }
    }

    /// The Tansu process id while it runs.
    public var processIdentifier: Int32? {
        running.withLock { process in process.flatMap { $0.isRunning ? $0.pid : nil } }
    }

    private init(
        configuration: Configuration,
        port: Int,
        portIsReserved: Bool,
        tansuPath: String,
        logPath: String,
        process: TansuProcess,
        logger: Logger
    ) {
        self.configuration = configuration
        self.host = configuration.host
        self.port = port
        self.portIsReserved = portIsReserved
        self.tansuPath = tansuPath
        self.logPath = logPath
        self.running = Mutex(process)
        self.logger = logger
    }

    deinit {
        let process = running.withLock { $0 }
        // Decide before signalling: Tansu may be reaped at any moment after SIGTERM.
        let crashed = (process.map { !$0.isRunning } ?? false) || sawUnexpectedExit.withLock { $0 }
        if let process, process.isRunning {
            logger.debug("EmbeddedBroker released while running: stopping Tansu", metadata: ["pid": "\(process.pid)"])
            process.abandon()
        }
        if portIsReserved {
            PortRegistry.release(port)
        }
        if !crashed {
            try? FileManager.default.removeItem(atPath: (logPath as NSString).deletingLastPathComponent)
        }
    }

    /// Starts Tansu and returns once it answers Kafka requests on its port.
    ///
    /// - Throws: ``EmbeddedBrokerError`` when the binary is missing, Tansu exits early
    ///   or does not answer within ``Configuration/startupTimeout``;
    ///   `CancellationError` if the task is cancelled (Tansu is stopped first).
    public static func start(
        _ configuration: Configuration = .init(),
        logger: Logger = Logger(label: "EmbeddedBroker")
    ) async throws -> EmbeddedBroker {
        let tansuPath = try TansuLocator.resolve(configuration.tansuPath)
        let logPath = try makeLogFile()
        let deadline = ContinuousClock.now + configuration.startupTimeout

        let explicitPort = configuration.port.flatMap { $0 == 0 ? nil : $0 }
        var attempt = 0
        while true {
            attempt += 1
            guard let port = explicitPort ?? PortRegistry.reserveFreePort(host: configuration.host) else {
                throw EmbeddedBrokerError(
                    .launchFailed,
                    "could not bind a free port on \(configuration.host): \(String(cString: strerror(errno)))",
                    logPath: logPath)
            }
            do {
                let process = try await launchUntilReady(
                    configuration: configuration, tansuPath: tansuPath, port: port,
                    logPath: logPath, deadline: deadline, logger: logger)
                return EmbeddedBroker(
                    configuration: configuration, port: port, portIsReserved: explicitPort == nil,
                    tansuPath: tansuPath, logPath: logPath, process: process, logger: logger)
            } catch {
                if explicitPort == nil { PortRegistry.release(port) }
                guard explicitPort == nil, (error as? EmbeddedBrokerError)?.isPortConflict == true,
                    attempt < configuration.portAttempts, ContinuousClock.now < deadline
                else { throw error }
                logger.warning(
                    "Tansu could not listen on the port picked for it; trying another",
                    metadata: ["port": "\(port)", "attempt": "\(attempt)"])
            }
        }
    }

    /// Stops Tansu: SIGTERM, then SIGKILL after ``Configuration/stopGracePeriod``;
    /// returns once the process has exited. Does nothing if it is not running, so it
    /// can be called any number of times.
    public func stop() async {
        await lifecycle.lock()
        defer { lifecycle.unlock() }
        await stopLocked()
    }

    /// Stops Tansu (if it runs) and starts it again on the same port; returns once it
    /// answers again. The restarted broker is empty: Tansu's storage is in memory.
    ///
    /// - Throws: ``EmbeddedBrokerError`` if Tansu does not come back within
    ///   ``Configuration/startupTimeout`` (the broker is then left stopped).
    public func restart() async throws {
        await lifecycle.lock()
        defer { lifecycle.unlock() }
        await stopLocked()
        let deadline = ContinuousClock.now + configuration.startupTimeout
        var attempt = 0
        while true {
            attempt += 1
            do {
                let process = try await Self.launchUntilReady(
                    configuration: configuration, tansuPath: tansuPath, port: port,
                    logPath: logPath, deadline: deadline, logger: logger)
                running.withLock { $0 = process }
                return
            } catch let error as EmbeddedBrokerError
                where error.isPortConflict && attempt < 5 && ContinuousClock.now < deadline
            {
                // The port can stay busy for a moment, e.g. if a client's outgoing
                // connection happened to get it. Try the same port again.
                logger.warning("port still in use after stop; retrying", metadata: ["port": "\(port)"])
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Waits until the Tansu process running now exits for any reason (a crash, a kill
    /// from outside, or ``stop()``) and says how it ended. Returns nil at once when no
    /// process was started or ``stop()`` already ran, and nil if the task is cancelled.
    public func waitUntilExit() async -> Termination? {
        await running.withLock({ $0 })?.waitForExit()
    }

    private func stopLocked() async {
        guard let process = running.withLock({ $0 }) else { return }
        if process.isRunning {
            logger.info("stopping Tansu", metadata: ["pid": "\(process.pid)", "address": "\(bootstrapServers)"])
        } else {
            sawUnexpectedExit.withLock { $0 = true }
        }
        let ended = await process.terminate(grace: configuration.stopGracePeriod)
        running.withLock { $0 = nil }
        logger.debug("Tansu stopped", metadata: ["termination": "\(ended)"])
    }

    // MARK: - Starting one process

    private static func launchUntilReady(
        configuration: Configuration,
        tansuPath: String,
        port: Int,
        logPath: String,
        deadline: ContinuousClock.Instant,
        logger: Logger
    ) async throws -> TansuProcess {
        let host = configuration.host
        let address = address(host: host, port: port)
        let started = ContinuousClock.now
        let process = try await TansuProcess.launch(
            tansuPath: tansuPath, address: address, logPath: logPath, grace: configuration.stopGracePeriod)
        logger.debug(
            "launched Tansu", metadata: ["pid": "\(process.pid)", "address": "\(address)", "log": "\(logPath)"])

        var sawForeignListener = false
        var confirmations = 0
        var lastProbe = Sockets.ProbeResult.refused
        while true {
            if Task.isCancelled {
                _ = await process.terminate(grace: configuration.stopGracePeriod)
                throw CancellationError()
            }
            if let ended = process.termination {
                let tail = LogTail.read(logPath)
                let bindFailed = sawForeignListener || LogTail.mentionsAddressInUse(tail)
                let message =
                    bindFailed
                    ? "Tansu could not listen on \(address): the port is already in use (Tansu exited, \(ended))."
                    : "Tansu exited before it answered on \(address) (\(ended))."
                throw EmbeddedBrokerError(
                    .exitedEarly, message, exitStatus: ended.status, signaled: ended.signaled,
                    outputTail: tail, logPath: logPath, isPortConflict: bindFailed)
            }
            let probeTimeout = Int32(min(1000, max(50, (deadline - ContinuousClock.now) / .milliseconds(1))))
            let ownership: ListenerOwnership
            (lastProbe, ownership) = await probe(
                host: host, port: port, pid: process.pid, timeoutMilliseconds: probeTimeout)
            if lastProbe == .kafka {
                switch ownership {
                case .owned:
                    confirmations = 2
                case .unknown:
                    confirmations += 1  // no /proc: also require a second answer while Tansu still runs
                case .notOwned:
                    sawForeignListener = true  // another process has the port; Tansu will exit
                    confirmations = 0
                }
                if confirmations >= 2 && process.isRunning {
                    logger.info(
                        "Tansu is ready",
                        metadata: [
                            "address": "\(address)", "pid": "\(process.pid)",
                            "startup": "\(ContinuousClock.now - started)", "log": "\(logPath)",
                        ])
                    return process
                }
            } else {
                confirmations = 0
            }
            if ContinuousClock.now >= deadline {
                _ = await process.terminate(grace: configuration.stopGracePeriod)
                let observed: String
                switch lastProbe {
                case .refused:
                    observed = sawForeignListener ? "another process holds the port" : "connections were refused"
                case .connectedWithoutAnswer: observed = "it accepted connections but did not answer ApiVersions"
                case .kafka: observed = "another process answered on the port"
                }
                throw EmbeddedBrokerError(
                    .startupTimedOut,
                    "Tansu did not become ready on \(address) within \(configuration.startupTimeout) (\(observed)); it was stopped.",
                    outputTail: LogTail.read(logPath), logPath: logPath)
            }
            try? await Task.sleep(for: .milliseconds(confirmations > 0 ? 100 : 25))
        }
    }

    /// Probes the port and, if a Kafka broker answered, checks that it is `pid`'s
    /// socket; blocking calls, so run on a Dispatch thread, not on the cooperative pool.
    private static func probe(
        host: String, port: Int, pid: Int32, timeoutMilliseconds: Int32
    ) async -> (Sockets.ProbeResult, ListenerOwnership) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let result = Sockets.probe(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
                let ownership = result == .kafka ? ListenerOwnership.check(pid: pid, port: port) : .unknown
                continuation.resume(returning: (result, ownership))
            }
        }
    }

    /// `"HOST:PORT"`, with an IPv6 host in brackets.
    private static func address(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Creates `<tmp>/embedded-broker-XXXXXX/tansu.log`.
    private static func makeLogFile() throws(EmbeddedBrokerError) -> String {
        var base = FileManager.default.temporaryDirectory.path
        if !base.hasSuffix("/") { base += "/" }
        var template = Array((base + "embedded-broker-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw EmbeddedBrokerError(
                .launchFailed, "could not create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: made) + "/tansu.log"
    }
}

/// Reads the end of Tansu's log for error messages.
enum LogTail {
    static func read(_ path: String, maxBytes: Int = 8192, maxLines: Int = 20) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(maxBytes) ? size - UInt64(maxBytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        var text = stripANSI(String(decoding: data, as: UTF8.self))
        if size > UInt64(maxBytes), let newline = text.firstIndex(of: "\n") {
            text = String(text[text.index(after: newline)...])  // drop the partial first line
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(maxLines + 1).joined(separator: "\n").trimmingTrailingWhitespace()
    }

    static func mentionsAddressInUse(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.contains("addrinuse") || lowered.contains("address in use")
            || lowered.contains("address already in use")
    }

    /// Removes ANSI escape sequences (colours), in case Tansu ignores NO_COLOR.
    static func stripANSI(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\u{1B}" else {
                result.append(scalar)
                continue
            }
            guard let next = iterator.next() else { break }
            if next == "[" {
                while let final = iterator.next(), !(0x40...0x7E).contains(final.value) {}
            }
        }
        return String(result)
    }
}
