import NIOCore
import NIOHTTP1

/// The HTTP response under a Server-Sent Events subscriber: a `text/event-stream` body that
/// does not end, one chunk per write, with the same outbound bound as a WebSocket (a client
/// that stops reading is dropped and counted). Added at the end of the pipeline by the
/// ``EventStreamController``'s response once the response head is written.
final class ServerSentEventsTransport: ChannelSubscriberTransport, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let dependencies: SubscriberDependencies
    private let fanOut: LoopFanOut
    private var subscriber: Subscriber?
    private var context: ChannelHandlerContext?
    var bound = OutboundBound()
    private var closing = false

    init(subscriber: Subscriber, dependencies: SubscriberDependencies, fanOut: LoopFanOut) {
        self.subscriber = subscriber
        self.dependencies = dependencies
        self.fanOut = fanOut
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        subscriber?.start(on: self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}  // a stream takes no requests

    // MARK: SubscriberTransport

    func write(_ frame: ByteBuffer) {
        guard let context, !closing else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(WebSocketFrameBuilder.payload(of: frame)))), promise: nil)
    }

    /// Hands the writes to the socket, then checks the bound (as ``WebSocketTransport/flush()``).
    func flush() {
        guard let context, !closing else { return }
        context.flush()
        if let buffered = bound.exceeded(on: context.channel, limit: dependencies.settings.outboundLimitBytes) {
            dependencies.metrics.slowConsumerCloses.increment()
            dependencies.logger.info(
                "closing an event stream that stopped reading", metadata: ["bufferedBytes": "\(buffered)"])
            subscriber?.close(code: 4008, reason: "outbound queue over limit: client too slow", grace: .zero)
        }
    }

    func sendPing() {}

    /// Ends the stream: the response's last chunk, then the connection. A browser's
    /// `EventSource` reconnects with `Last-Event-ID`.
    func close(code: UInt16, reason: String, grace: TimeAmount) {
        guard let context, !closing else { return }
        closing = true
        let channel = NIOLoopBound(context, eventLoop: context.eventLoop)
        if grace > .zero {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.value.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    var closeFuture: EventLoopFuture<Void> {
        context?.channel.closeFuture ?? fanOut.eventLoop.makeSucceededVoidFuture()
    }

    func tearDown() {
        subscriber?.transportClosed()
        subscriber = nil
    }
}
