import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import ServerSupport

/// Hands each HTTP/1 request of a connection to the Bridge's Hummingbird router
/// (``BridgeRoutes``) and writes its response: the last handler of an HTTP connection,
/// removed when the connection upgrades to a WebSocket.
///
/// The server's own NIO pipeline, not Hummingbird's server, carries the connection: the
/// connection guard, NIO's WebSocket upgrader and the per-loop fan-out share it, and an
/// upgraded WebSocket never passes through the router. Every answer carries
/// `Cache-Control: no-store` (it is live state); `HEAD` is routed as `GET` and answered
/// without the body.
final class RouterChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: RouterResponder<BridgeRequestContext>
    private let upgrade: WebSocketUpgrade
    private let maximumBodyBytes: Int
    private let logger: Logger
    private var request: HTTPRequestHead?
    private var body = ByteBuffer()

    /// - Parameter maximumBodyBytes: the largest body a route takes; one byte more is kept,
    ///   so that route answers 413, and the rest is dropped as it comes.
    init(
        responder: RouterResponder<BridgeRequestContext>, upgrade: WebSocketUpgrade, maximumBodyBytes: Int,
        logger: Logger
    ) {
        self.responder = responder
        self.upgrade = upgrade
        self.maximumBodyBytes = maximumBodyBytes
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body = ByteBuffer()
        case .body(var part):
            let room = maximumBodyBytes + 1 - body.readableBytes
            if room > 0, let kept = part.readSlice(length: min(room, part.readableBytes)) {
                body.writeImmutableBuffer(kept)
            }
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, body: body, channel: context.channel)
            body = ByteBuffer()
        }
    }

    /// Routes the request in a task; NIO's pipelining handler holds the connection's next
    /// request until this response's end is written.
    private func respond(to head: HTTPRequestHead, body: ByteBuffer, channel: any Channel) {
        let routed =
            head.method == .HEAD
            ? HTTPRequestHead(version: head.version, method: .GET, uri: head.uri, headers: head.headers) : head
        let context = BridgeRequestContext(
            source: ApplicationRequestContextSource(channel: channel, logger: logger),
            upgradeRefusal: upgrade.takeRefusal(), isHead: head.method == .HEAD
        )
        let responder = self.responder
        let logger = self.logger
        Task {
            let response = await RouterExchange.route(
                routed, body: body, context: context, responder: responder, logger: logger)
            await RouterExchange.write(response, to: head, on: channel)
        }
    }
}

/// One request through the router and its response onto the connection, off the event loop.
private enum RouterExchange {
    static func route(
        _ head: HTTPRequestHead, body: ByteBuffer, context: BridgeRequestContext,
        responder: RouterResponder<BridgeRequestContext>, logger: Logger
    ) async -> Response {
        let request: Request
        do {
            request = Request(
                head: try HTTPRequest(head, secure: false, splitCookie: false), body: RequestBody(buffer: body))
        } catch {
            return JSONResponse.error(.badRequest, "the request line or a header cannot be read")
        }
        do {
            return try await responder.respond(to: request, context: context)
        } catch {
            logger.error("a route failed", metadata: ["path": "\(head.uri.prefix(200))", "error": "\(error)"])
            return JSONResponse.error(.internalServerError, "the request failed inside the server")
        }
    }

    static func write(_ response: Response, to request: HTTPRequestHead, on channel: any Channel) async {
        var head = HTTPResponseHead(response.head)
        head.version = request.version
        let status = response.status
        if let length = response.body.contentLength, status != .noContent, status != .notModified,
            !head.headers.contains(name: "content-length")
        {
            head.headers.add(name: "Content-Length", value: String(length))
        }
        head.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        let keepAlive = request.isKeepAlive
        if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        do {
            try await response.body.write(ChannelBodyWriter(channel: channel, dropsBody: request.method == .HEAD))
        } catch {
            channel.close(promise: nil)
            return
        }
        if !keepAlive { channel.close(promise: nil) }
    }
}

/// Writes a response body to the connection: chunks as they come, flushed with the end.
private struct ChannelBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    /// A `HEAD` answer: the head only.
    let dropsBody: Bool

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard !dropsBody else { return }
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await channel.writeAndFlush(HTTPServerResponsePart.end(trailingHeaders.map { HTTPHeaders($0) })).get()
    }
}
