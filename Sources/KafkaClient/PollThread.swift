import Foundation
import Synchronization

/// A dedicated OS thread that calls `iteration` until stopped.
///
/// librdkafka's poll calls block (that is how they wake up the moment a delivery report or
/// a record arrives), so they must not run on Swift's cooperative thread pool, whose few
/// threads every task in the process shares. Each iteration should block for a short,
/// bounded time so that a stop request is seen quickly.
final class PollThread: Sendable {
    private enum State {
        case idle
        case running(waiters: [CheckedContinuation<Void, Never>])
        case exited
    }

    private let name: String
    private let stopRequested = Atomic<Bool>(false)
    private let state = Mutex<State>(.idle)

    /// `name` names the OS thread too, as profilers and `top -H` show it: at most 15 bytes
    /// (the kernel's limit).
    init(name: String) {
        precondition(name.utf8.count <= 15, "an OS thread name has at most 15 bytes")
        self.name = name
    }

    /// Starts the thread; a second call does nothing.
    func start(iteration: @escaping @Sendable () -> Void) {
        let shouldStart = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running(waiters: [])
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            while !stopRequested.load(ordering: .acquiring) {
                iteration()
            }
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                defer { state = .exited }
                if case .running(let waiters) = state { return waiters }
                return []
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.start()
    }

    /// Names the calling OS thread. On Linux through the kernel's own file for it:
    /// Foundation's `Thread.name`, set from the new thread, sometimes left it with its
    /// creator's name (and glibc's `pthread_setname_np` is not visible to Swift).
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = name.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        #else
        Thread.current.name = name
        #endif
    }

    /// Asks the loop to end and waits until its current iteration has returned.
    func stop() async {
        stopRequested.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                switch state {
                case .idle:
                    state = .exited
                    return true
                case .exited:
                    return true
                case .running(var waiters):
                    waiters.append(continuation)
                    state = .running(waiters: waiters)
                    return false
                }
            }
            if resumeNow { continuation.resume() }
        }
    }
}
