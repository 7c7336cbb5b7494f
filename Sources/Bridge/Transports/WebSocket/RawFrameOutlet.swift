import NIOCore

/// Where a ``WebSocketTransport`` writes its complete, pre-encoded frames.
///
/// It sits in front of NIO's `WebSocketFrameEncoder` (closer to the socket), so bytes
/// written from its context skip the encoder: a fan-out frame encoded once is written
/// as-is to every subscriber. It does nothing itself; it only provides that context.
final class RawFrameOutlet: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
