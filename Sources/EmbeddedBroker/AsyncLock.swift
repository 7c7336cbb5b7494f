import Synchronization

/// A first-come, first-served lock for async code: serialises start, stop and restart
/// of one broker without blocking a thread while another operation is in progress.
final class AsyncLock: Sendable {
    private struct Values {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let values = Mutex(Values())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = values.withLock { values -> Bool in
                if values.locked {
                    values.waiters.append(continuation)
                    return false
                }
                values.locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = values.withLock { values -> CheckedContinuation<Void, Never>? in
            if values.waiters.isEmpty {
                values.locked = false
                return nil
            }
            return values.waiters.removeFirst()  // ownership passes to the next waiter
        }
        next?.resume()
    }
}

/// Ports this process has handed to brokers that still exist, so that two brokers
/// started at the same time in one process never get the same port from the kernel.
enum PortRegistry {
    private static let reserved = Mutex(Set<Int>())

    static func reserveFreePort(host: String) -> Int? {
        for _ in 0..<20 {
            guard let port = Sockets.freePort(host: host) else { return nil }
            if reserved.withLock({ $0.insert(port).inserted }) { return port }
        }
        return nil
    }

    static func release(_ port: Int) {
        _ = reserved.withLock { $0.remove(port) }
    }
}
