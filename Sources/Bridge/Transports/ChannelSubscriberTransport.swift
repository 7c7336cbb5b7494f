import NIOCore

/// A ``SubscriberTransport`` that is a channel's last handler (a WebSocket, a Server-Sent
/// Events stream): the channel's end is the subscriber's end, and the channel draining
/// clears the outbound bound's allowance.
protocol ChannelSubscriberTransport: ChannelInboundHandler, SubscriberTransport {
    /// The slow-consumer bound; the transport checks it after each flush.
    var bound: OutboundBound { get set }
    /// Tells the subscriber its transport is gone; safe to call more than once.
    func tearDown()
}

extension ChannelSubscriberTransport {
    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { bound.drained() }
        context.fireChannelWritabilityChanged()
    }

    func allowBulk(_ bytes: Int) {
        bound.allow(bytes)
    }
}
