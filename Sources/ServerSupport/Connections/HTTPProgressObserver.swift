import NIOCore
import NIOHTTP1

/// Tells the connection's ``ConnectionGuard`` how the HTTP exchange progresses: requests
/// and responses starting and ending, and the decoder's errors. Placed after the HTTP/1
/// decoder, where it sees NIOHTTP1's parts; passes everything on unchanged.
public final class HTTPProgressObserver: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: report(.requestStarted, context: context)
        case .body: break
        case .end: report(.requestEnded, context: context)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:  // not 100 Continue: the response is still to come
            report(.responseStarted, context: context)
        case .end:
            report(.responseEnded, context: context)
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            report(.malformed(parserError), context: context)
        }
        context.fireErrorCaught(error)
    }

    private func report(_ progress: ConnectionGuard.Progress, context: ChannelHandlerContext) {
        context.triggerUserOutboundEvent(progress, promise: nil)
    }
}
