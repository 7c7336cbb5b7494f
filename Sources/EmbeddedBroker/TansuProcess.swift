import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One running Tansu process, started so that it cannot outlive the process that
/// started it.
///
/// How orphans are prevented: Tansu is started through `/bin/sh`, whose standard input
/// is one end of a Unix socket pair; this process keeps the other end (close-on-exec,
/// and every other descriptor is closed in the child, so no other process holds it).
/// The shell moves that socket to descriptor 3, forks a small watcher subshell that
/// blocks reading it, and then `exec`s Tansu (stdin from /dev/null, descriptor 3
/// closed), so Tansu has the shell's pid: `pid`, signals and the exit status are
/// Tansu's own. If this process exits or is killed (even with SIGKILL), the kernel
/// closes its end, the watcher's `read` returns end of file and the watcher sends
/// Tansu SIGTERM, then SIGKILL if it is still alive after the grace period. When Tansu
/// exits, this process writes `stop` to the socket before closing it, and the watcher
/// exits without signalling anything.
///
/// The child is started with `posix_spawn`, not Foundation's `Process`, so that every
/// signal is reset to its default action and unblocked in it: a parent that ignores
/// SIGTERM (as `callbridge-broker` does, to handle it with a Dispatch source) would
/// otherwise hand that on to Tansu (ignored dispositions survive `exec`) and stop()
/// would need SIGKILL. It gets its own process group, so a terminal's Ctrl-C reaches
/// only the parent, which then stops Tansu in order. A dedicated thread waits for it.
final class TansuProcess: Sendable {
    /// Tansu's process id (the shell `exec`s Tansu, so this is Tansu itself).
    let pid: Int32
    private let state: ProcessState

    private init(pid: Int32, state: ProcessState) {
        self.pid = pid
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

    static func listenerURL(host: String, port: Int) -> String {
        host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
    }

    /// Launches Tansu; its stdout and stderr go to `logDescriptor`.
    static func launch(
        tansuPath: String,
        host: String,
        port: Int,
        logDescriptor: Int32,
        killGrace: Duration
    ) throws(EmbeddedBrokerError) -> TansuProcess {
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
        let parentEnd = pair[0]
        let childEnd = pair[1]
        defer { close(childEnd) }

        let url = listenerURL(host: host, port: port)
        let tenths = max(
            1, Int(killGrace.components.seconds * 10 + killGrace.components.attoseconds / 100_000_000_000_000_000))
        let arguments = [
            "/bin/sh", "-c", supervisorScript(killAfterTenths: tenths), "embedded-broker-tansu",
            tansuPath, "broker", "--listener-url", url, "--advertised-listener-url", url,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"  // plain log lines in the log file
        let pid: pid_t
        do {
            pid = try Spawn.spawn(
                arguments: arguments,
                environment: environment.map { "\($0.key)=\($0.value)" },
                standardInput: childEnd,
                standardOutput: logDescriptor,
                standardError: logDescriptor)
        } catch {
            close(parentEnd)
            throw EmbeddedBrokerError(
                .launchFailed, "could not launch /bin/sh to run \(tansuPath): \(String(cString: strerror(error.code)))")
        }
        let state = ProcessState(controlDescriptor: parentEnd)
        let waiter = Thread {
            state.recordExit(Spawn.waitForExit(pid))
        }
        waiter.name = "EmbeddedBroker waitpid \(pid)"
        waiter.start()
        return TansuProcess(pid: pid, state: state)
    }

    /// How Tansu ended, or nil while it runs.
    var termination: EmbeddedBroker.Termination? { state.termination }

    var isRunning: Bool { state.termination == nil }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits up to `timeout` for Tansu to exit (polling; safe in a cancelled task).
    func waitForExit(timeout: Duration) async -> EmbeddedBroker.Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let termination { return termination }
            if ContinuousClock.now >= deadline { return nil }
            await sleepIgnoringCancellation(.milliseconds(10))
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once Tansu has exited (or, in the
    /// practically impossible case that even SIGKILL did not end it within 10 s, leaves
    /// the rest to the watcher and returns nil).
    func terminate(grace: Duration) async -> EmbeddedBroker.Termination? {
        signal(SIGTERM)
        if let ended = await waitForExit(timeout: grace) { return ended }
        signal(SIGKILL)
        if let ended = await waitForExit(timeout: .seconds(10)) { return ended }
        state.releaseControl(clean: false)
        return nil
    }

    /// For deinit: ask Tansu to stop without waiting. Closing the control socket makes
    /// the watcher send SIGKILL if SIGTERM was not enough.
    func abandon() {
        signal(SIGTERM)
        state.releaseControl(clean: termination != nil)
    }
}

/// Exit status and the control socket, shared with the thread that waits for the exit.
private final class ProcessState: Sendable {
    private struct Values {
        var termination: EmbeddedBroker.Termination?
        var controlDescriptor: Int32
    }

    private let values: Mutex<Values>

    init(controlDescriptor: Int32) {
        values = Mutex(Values(termination: nil, controlDescriptor: controlDescriptor))
    }

    var termination: EmbeddedBroker.Termination? { values.withLock { $0.termination } }

    func recordExit(_ termination: EmbeddedBroker.Termination) {
        values.withLock { $0.termination = termination }
        // Tansu is gone: tell the watcher to exit quietly.
        releaseControl(clean: true)
    }

    /// Closes this process's end of the control socket; with `clean` the watcher is told
    /// to exit without signalling, otherwise it treats the close as "kill Tansu".
    func releaseControl(clean: Bool) {
        let descriptor = values.withLock { values -> Int32 in
            defer { values.controlDescriptor = -1 }
            return values.controlDescriptor
        }
        guard descriptor >= 0 else { return }
        if clean {
            let message: [UInt8] = Array("stop\n".utf8)
            _ = message.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Sockets.noSignal) }
        }
        close(descriptor)
    }
}

/// `Task.sleep` that still sleeps when the task is cancelled, so cleanup that must
/// finish (stopping a process) does not spin.
func sleepIgnoringCancellation(_ duration: Duration) async {
    if (try? await Task.sleep(for: duration)) == nil {
        await Task.detached { try? await Task.sleep(for: duration) }.value
    }
}
