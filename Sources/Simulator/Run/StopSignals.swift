import Dispatch
import Foundation
import Synchronization

/// Counts SIGINT and SIGTERM. The first asks the run to stop starting calls and hang up
/// the ones in progress (then the summary is printed); the second exits at once (130).
final class StopSignals: @unchecked Sendable {
    // @unchecked: `sources` is immutable and only kept so the sources stay alive.
    private let counter = Counter()
    private let sources: [any DispatchSourceSignal]

    init() {
        let queue = DispatchQueue(label: "callbridge-sim.signals")
        let counter = self.counter
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if counter.increment() >= 2 {
                    FileHandle.standardError.write(
                        Data("\ncallbridge-sim: interrupted again; exiting without a summary\n".utf8))
                    exit(130)
                }
            }
            source.resume()
            return source
        }
    }

    /// Whether a stop was asked for.
    var received: Bool {
        counter.value > 0
    }

    private final class Counter: Sendable {
        private let count = Mutex(0)

        var value: Int { count.withLock { $0 } }

        func increment() -> Int {
            count.withLock { value in
                value += 1
                return value
            }
        }
    }
}
