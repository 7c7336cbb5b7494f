import NIOCore
import NIOHTTP1
import Prometheus
import ServerSupport

/// Answers the plain HTTP requests: `GET /` (the dashboard page), `/healthz`, `/readyz`,
/// `/metrics`, and the WebSocket paths when they were not upgraded (the refusal's status,
/// 401 for a bad token), with CORS headers and preflights on `/socket.io/`. Removed from
/// the pipeline once a connection upgrades.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let upgrade: WebSocketUpgrade
    private let readiness: Readiness
    private let registry: PrometheusCollectorRegistry?
    private let cors: CORSPolicy
    private var request: HTTPRequestHead?

    init(upgrade: WebSocketUpgrade, readiness: Readiness, registry: PrometheusCollectorRegistry?, cors: CORSPolicy) {
        self.upgrade = upgrade
        self.readiness = readiness
        self.registry = registry
        self.cors = cors
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // no route takes a body
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let target = RequestTarget(head.uri)
        if let route = WebSocketUpgrade.route(for: target) {
            let origin = route == .socketIO ? head.headers.first(name: "origin") : nil
            if route == .socketIO, head.method == .OPTIONS {
                let preflight = cors.preflightHeaders(origin: origin, requestedHeaders: head.headers.first(name: "access-control-request-headers"))
                return send(.noContent, contentType: nil, body: ByteBuffer(), extraHeaders: preflight, head: head, context: context)
            }
            // Socket.IO's answers are read by pages of other origins: every one carries CORS headers.
            let corsHeaders = cors.responseHeaders(origin: origin)
            if let refusal = upgrade.refusal {
                return sendJSONError(refusal.status, refusal.message, extraHeaders: corsHeaders, head: head, context: context)
            }
            if case .failure(let refusal) = WebSocketUpgrade.check(route, target) {
                return sendJSONError(refusal.status, refusal.message, extraHeaders: corsHeaders, head: head, context: context)
            }
            return sendJSONError(
                .upgradeRequired, "this path serves WebSockets only: send a WebSocket upgrade request", extraHeaders: corsHeaders,
                head: head, context: context
            )
        }
        guard head.method == .GET || head.method == .HEAD else {
            return sendJSONError(.methodNotAllowed, "only GET is served", head: head, context: context)
        }
        switch target.path {
        case "/":
            send(.ok, contentType: "text/html; charset=utf-8", body: DashboardPage.html, head: head, context: context)
        case "/healthz":
            send(.ok, contentType: "application/json", body: #"{"status":"ok"}"#, head: head, context: context)
        case "/readyz":
            switch readiness.status {
            case .ready:
                send(.ok, contentType: "application/json", body: #"{"status":"ready"}"#, head: head, context: context)
            case .notReady(let reason):
                sendJSONError(.serviceUnavailable, "not ready: \(reason)", head: head, context: context)
            }
        case "/metrics":
            let text = registry?.emitToString() ?? ""
            send(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text, head: head, context: context)
        default:
            sendJSONError(.notFound, "no such path: \(target.path.prefix(200))", head: head, context: context)
        }
    }

    private func sendJSONError(
        _ status: HTTPResponseStatus, _ message: String, extraHeaders: HTTPHeaders = [:], head: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        var body = ByteBuffer()
        body.writeStaticString(#"{"error":"#)
        body.writeJSONString(message)
        body.writeStaticString("}")
        send(status, contentType: "application/json", body: body, extraHeaders: extraHeaders, head: head, context: context)
    }

    private func send(_ status: HTTPResponseStatus, contentType: String, body: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        send(status, contentType: contentType, body: ByteBuffer(string: body), head: head, context: context)
    }

    private func send(
        _ status: HTTPResponseStatus, contentType: String?, body: ByteBuffer, extraHeaders: HTTPHeaders = [:], head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var headers = extraHeaders
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        if status != .noContent { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        headers.add(name: "Cache-Control", value: "no-store")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
