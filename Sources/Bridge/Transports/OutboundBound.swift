import NIOCore

/// The slow-consumer bound of a transport on a channel: past the channel's high water mark
/// (``ConnectionSettings/outboundLimitBytes``), a client whose buffered bytes exceed the
/// bound plus the snapshot or replay just sent is not reading.
struct OutboundBound {
    private var allowance = 0

    /// A snapshot or replay of `bytes` was just written: allowed on top of the bound.
    mutating func allow(_ bytes: Int) {
        allowance += bytes
    }

    /// The channel drained below its low water mark.
    mutating func drained() {
        allowance = 0
    }

    /// The bytes buffered for `channel` when they exceed the bound; nil while they do not.
    func exceeded(on channel: any Channel, limit: Int) -> Int? {
        guard !channel.isWritable else { return nil }
        let buffered = (try? channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        return buffered > limit + allowance ? buffered : nil
    }
}
