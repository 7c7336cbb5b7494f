import NIOConcurrencyHelpers
import NIOCore

/// Whether the reader of ``KafkaConsumerEvents`` wants more records: the poll thread
/// waits here instead of fetching while the reader is behind.
final class ConsumerDemand: NIOAsyncSequenceProducerDelegate {
    private let wanted = ConditionLock<Bool>(value: true)

    /// Waits up to `timeoutSeconds` for demand; true if there is some.
    func wait(timeoutSeconds: Double) -> Bool {
        guard wanted.lock(whenValue: true, timeoutSeconds: timeoutSeconds) else { return false }
        wanted.unlock()
        return true
    }

    /// Call before yielding. Demand is assumed gone until the yield or `produceMore` says
    /// otherwise, so a `produceMore` that races with the yield is never lost.
    func beforeYield() {
        set(false)
    }

    /// Call with the yield's result.
    func afterYield(_ result: KafkaConsumerEvents.Producer.Source.YieldResult) {
        if result == .produceMore { set(true) }
    }

    func produceMore() {
        set(true)
    }

    func didTerminate() {
        // The reader is gone: keep the poll thread from waiting forever for demand.
        set(true)
    }

    private func set(_ value: Bool) {
        wanted.lock()
        wanted.unlock(withValue: value)
    }
}
