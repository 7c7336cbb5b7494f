import Foundation
import Subprocess
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One running Tansu process, started with swift-subprocess so that it cannot outlive
/// the process that started it.
///
/// swift-subprocess resets every signal to its default action in the child (a parent
/// that ignores SIGTERM, as ServiceLifecycle makes `callbridge-broker` do, would
/// otherwise hand that on through `exec`), closes every descriptor above 2, and puts
/// it in a process group of its own, so a terminal's Ctrl-C reaches only the parent,
/// which then stops Tansu in order: SIGTERM, then SIGKILL after the grace period
/// (``terminate(grace:)``; swift-subprocess's own teardown only when the task that
/// runs it is cancelled).
///
/// How orphans are prevented: Tansu is started through `/bin/sh`, whose standard input
/// is one end of a Unix socket pair; this process keeps the other end (close-on-exec).
/// The shell moves that socket to descriptor 3, forks a small watcher that blocks
/// reading it, and `exec`s Tansu, so Tansu keeps the shell's pid, signals and exit
/// status. If this process dies, even by SIGKILL, the kernel closes its end: the
/// watcher reads end of file and sends Tansu SIGTERM, then SIGKILL after the grace
/// period. Once Tansu has exited, this process writes `stop` before closing its end
/// and the watcher exits without signalling a pid that may have been reused.
/// (`PR_SET_PDEATHSIG` is no substitute: swift-subprocess offers no hook in the child
/// on Linux, and the signal follows the thread that spawned, not the process.)
final class TansuProcess: Sendable {
    /// Tansu's process id (the shell `exec`s Tansu, so this is Tansu itself).
    let pid: Int32
    private let exit: Task<EmbeddedBroker.Termination, Never>
    private let state: ExitState

    private init(pid: Int32, exit: Task<EmbeddedBroker.Termination, Never>, state: ExitState) {
        self.pid = pid
        self.exit = exit
        self.state = state
    }

    static func supervisorScript(killAfterTenths: Int) -> String {
        """
        exec 3<&0 </dev/null
        (
          line=
          IFS= read -r line <&3
          [ "$line" = stop ] && exit 0
          kill -TERM $$ 2>/dev/null || exit 0
          i=0
          while [ "$i" -lt \(killAfterTenths) ]; do
            kill -0 $$ 2>/dev/null || exit 0
            sleep 0.1
            i=$((i + 1))
          done
          kill -KILL $$ 2>/dev/null
          exit 0
        ) &
        exec "$@" 3<&-
        """
    }

    /// Launches Tansu listening on `address`, its stdout and stderr appended to `logPath`.
    ///
    /// - Throws: ``EmbeddedBrokerError`` (`.launchFailed`), or `CancellationError`.
    static func launch(
        tansuPath: String,
        address: String,
        logPath: String,
        grace: Duration
    ) async throws -> TansuProcess {
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else {
            throw EmbeddedBrokerError(
                .launchFailed, "could not open the Tansu log file: \(String(cString: strerror(errno)))",
                logPath: logPath)
        }
        let header = "--- embedded-broker: starting \(tansuPath) on \(address) at \(Date()) ---\n"
        _ = header.utf8CString.withUnsafeBytes { write(log, $0.baseAddress, $0.count - 1) }
        let watcher: WatcherSocket
        do {
            watcher = try WatcherSocket()
        } catch {
            close(log)
            throw error
        }

        let tenths = max(1, Int((grace / .milliseconds(100)).rounded(.up)))
        let url = "tcp://\(address)"
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: grace)]
        let state = ExitState()
        let (spawned, spawnedSink) = AsyncStream.makeStream(of: Result<Int32, any Error>.self)
        let exit = Task {
            let termination: EmbeddedBroker.Termination
            do {
                let result = try await Subprocess.run(
                    .path("/bin/sh"),
                    arguments: [
                        "-c", supervisorScript(killAfterTenths: tenths), "embedded-broker-tansu",
                        tansuPath, "broker", "--listener-url", url, "--advertised-listener-url", url,
                    ],
                    environment: .inherit.updating(["NO_COLOR": "1"]),  // plain lines in the log file
                    platformOptions: options,
                    input: .fileDescriptor(.init(rawValue: watcher.childEnd), closeAfterSpawningProcess: true),
                    output: .fileDescriptor(.init(rawValue: log), closeAfterSpawningProcess: true),
                    error: .combinedWithOutput
                ) { execution in
                    spawnedSink.yield(.success(execution.processIdentifier.value))
                }
                switch result.terminationStatus {
                case .exited(let code): termination = .init(status: code, signaled: false)
                case .signaled(let signal): termination = .init(status: signal, signaled: true)
                }
            } catch {
                spawnedSink.yield(.failure(error))
                termination = .init(status: -1, signaled: false)
            }
            spawnedSink.finish()
            watcher.release()
            state.record(termination)
            return termination
        }
        switch await spawned.first(where: { _ in true }) {
        case .success(let pid):
            return TansuProcess(pid: pid, exit: exit, state: state)
        case .failure(let error):
            throw EmbeddedBrokerError(.launchFailed, "could not launch /bin/sh to run \(tansuPath): \(error)")
        case nil:  // the caller was cancelled while Tansu was being spawned
            exit.cancel()
            _ = await exit.value
            throw CancellationError()
        }
    }

    /// How Tansu ended, or nil while it runs.
    var termination: EmbeddedBroker.Termination? { state.termination }

    var isRunning: Bool { termination == nil }

    /// Waits until Tansu exits; nil if the calling task is cancelled first.
    func waitForExit() async -> EmbeddedBroker.Termination? {
        await state.wait()
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once Tansu has exited. Signals it
    /// directly, so swift-subprocess sees an ordinary exit; cancelling its task (and its
    /// teardown sequence) is left for when the caller's own task is cancelled.
    func terminate(grace: Duration) async -> EmbeddedBroker.Termination {
        if let ended = state.termination { return ended }
        _ = kill(pid, SIGTERM)
        let pid = self.pid
        let escalation = Task {
            try await Task.sleep(for: grace)
            _ = kill(pid, SIGKILL)
        }
        let ended = await exit.value
        escalation.cancel()
        return ended
    }

    /// For deinit: starts the same teardown without waiting for it.
    func abandon() {
        exit.cancel()
    }
}

/// How the process ended, and the tasks waiting for it.
private final class ExitState: Sendable {
    private struct Values {
        var termination: EmbeddedBroker.Termination?
        var waiters: [AsyncStream<EmbeddedBroker.Termination>.Continuation] = []
    }

    private let values = Mutex(Values())

    var termination: EmbeddedBroker.Termination? { values.withLock { $0.termination } }

    func record(_ termination: EmbeddedBroker.Termination) {
        let waiters = values.withLock { values in
            values.termination = termination
            defer { values.waiters = [] }
            return values.waiters
        }
        for waiter in waiters {
            waiter.yield(termination)
            waiter.finish()
        }
    }

    /// An `AsyncStream` per waiter: its iteration ends when the waiting task is cancelled.
    func wait() async -> EmbeddedBroker.Termination? {
        let (stream, sink) = AsyncStream.makeStream(of: EmbeddedBroker.Termination.self)
        let ended = values.withLock { values in
            if values.termination == nil { values.waiters.append(sink) }
            return values.termination
        }
        if let ended { return ended }
        return await stream.first(where: { _ in true })
    }
}

/// The socket pair between this process and the watcher in Tansu's shell.
private final class WatcherSocket: Sendable {
    /// Becomes the shell's standard input.
    let childEnd: Int32
    private let parentEnd: Int32

    init() throws(EmbeddedBrokerError) {
        var pair: [Int32] = [-1, -1]
        #if os(Linux)
        let made = socketpair(AF_UNIX, Sockets.streamType | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        #else
        let made = socketpair(AF_UNIX, Sockets.streamType, 0, &pair)
        if made == 0 {
            _ = fcntl(pair[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pair[1], F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            _ = setsockopt(pair[0], SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        #endif
        guard made == 0 else {
            throw EmbeddedBrokerError(
                .launchFailed, "could not create the control socket for Tansu: \(String(cString: strerror(errno)))")
        }
        parentEnd = pair[0]
        childEnd = pair[1]
    }

    /// Tansu has exited: tells the watcher to exit quietly and closes this end.
    func release() {
        let message: [UInt8] = Array("stop\n".utf8)
        _ = message.withUnsafeBytes { send(parentEnd, $0.baseAddress, $0.count, Sockets.noSignal) }
        close(parentEnd)
    }
}
