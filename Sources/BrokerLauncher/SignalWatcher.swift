import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into an awaitable event. The default action of each signal
/// is ignored first, then a Dispatch signal source reports it.
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `sources` is immutable and only kept so the sources stay alive.
    private let received = ReceivedSignal()
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let queue = DispatchQueue(label: "callbridge-broker.signals")
        let received = self.received
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { received.record(number) }
            source.resume()
            return source
        }
    }

    /// Returns the first signal received, waiting for one; nil if the task is cancelled.
    func next() async -> Int32? {
        while true {
            if let signal = received.value { return signal }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return nil
            }
        }
    }
}

private final class ReceivedSignal: Sendable {
    private let first = Mutex<Int32?>(nil)

    var value: Int32? { first.withLock { $0 } }

    func record(_ signal: Int32) {
        first.withLock { if $0 == nil { $0 = signal } }
    }
}
