import NIOCore
import NIOHTTP1

/// One request at a time over a keep-alive HTTP/1.1 connection: writes an
/// ``OutgoingWebhook`` and fulfils its promise with the whole answer. A connection that
/// closes, fails or takes longer than `answerTimeout` fails the pending request.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = OutgoingWebhook
    typealias OutboundOut = HTTPClientRequestPart

    /// Why a request got no answer.
    struct NoAnswer: Error, CustomStringConvertible {
        var description: String
    }

    private let answerTimeout: TimeAmount
    private var pending: EventLoopPromise<WebhookAnswer>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var timeout: Scheduled<Void>?

    init(answerTimeout: TimeAmount) {
        self.answerTimeout = answerTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil else {
            // The pool never shares a connection between two requests; refuse rather than mix answers.
            request.answer.fail(NoAnswer(description: "the connection already has a request in flight"))
            promise?.fail(NoAnswer(description: "busy connection"))
            return
        }
        pending = request.answer
        head = nil
        body = nil
        let timeoutAmount = answerTimeout
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeoutAmount) { [weak self] in
            self?.fail(NoAnswer(description: "no answer within \(timeoutAmount.nanoseconds / 1_000_000_000) s"))
            context.close(promise: nil)
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
            body = context.channel.allocator.buffer(capacity: 256)
        case .body(var part):
            body?.writeBuffer(&part)
        case .end:
            guard let head, let pending else { return }
            self.pending = nil
            timeout?.cancel()
            timeout = nil
            let text = body.map { String(buffer: $0) } ?? ""
            pending.succeed(
                WebhookAnswer(
                    status: Int(head.status.code),
                    body: text,
                    closesConnection: !head.isKeepAlive,
                    retryAfterSeconds: head.headers.first(name: "retry-after").flatMap { Int($0) }
                ))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(NoAnswer(description: "the connection closed before the answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        timeout?.cancel()
        timeout = nil
        if let pending {
            self.pending = nil
            pending.fail(error)
        }
    }
}
