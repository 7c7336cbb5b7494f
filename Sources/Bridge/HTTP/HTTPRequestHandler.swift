import NIOCore
import NIOHTTP1
import Prometheus
import ServerSupport

/// Answers the plain HTTP requests: `GET /` and its files (the dashboard), `/healthz`, `/readyz`,
/// `/metrics`, Engine.IO long-polling on `/socket.io/` (``PollingEndpoint``), Server-Sent
/// Events on `/events` (``ServerSentEventsEndpoint``), and the
/// WebSocket paths when they were not upgraded (the refusal's status, 401 for a bad
/// token), with CORS headers and preflights on `/socket.io/`. Removed from the pipeline
/// once a connection upgrades.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let upgrade: WebSocketUpgrade
    private let polling: PollingEndpoint
    private let events: ServerSentEventsEndpoint
    private let fanOut: LoopFanOut
    private let readiness: Readiness
    private let registry: PrometheusCollectorRegistry?
    private let cors: CORSPolicy
    private let dashboard: DashboardPage
    private var request: HTTPRequestHead?
    /// The body of a polling POST; nil once it grew past the limit.
    private var body: ByteBuffer? = ByteBuffer()

    init(
        upgrade: WebSocketUpgrade, polling: PollingEndpoint, events: ServerSentEventsEndpoint, fanOut: LoopFanOut, dashboard: DashboardPage,
        readiness: Readiness, registry: PrometheusCollectorRegistry?, cors: CORSPolicy
    ) {
        self.dashboard = dashboard
        self.upgrade = upgrade
        self.polling = polling
        self.events = events
        self.fanOut = fanOut
        self.readiness = readiness
        self.registry = registry
        self.cors = cors
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body = ByteBuffer()
        case .body(var part):
            // Only polling POSTs take a body; it is kept up to their limit.
            guard request?.method == .POST, body != nil else { return }
            if body!.readableBytes + part.readableBytes > polling.maximumPayload {
                body = nil
            } else {
                body!.writeBuffer(&part)
            }
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
                return sendRefusal(refusal, extraHeaders: corsHeaders, head: head, context: context)
            }
            if case .failure(let refusal) = WebSocketUpgrade.check(route, target, upgrading: false) {
                return sendRefusal(refusal, extraHeaders: corsHeaders, head: head, context: context)
            }
            guard route == .socketIO, target.query["transport"] == "polling" else {
                let refusal: WebSocketUpgrade.Refusal = route == .socketIO
                    ? .init(.badRequest("transport=websocket needs a WebSocket upgrade request"))
                    : .init(status: .upgradeRequired, message: "this path serves WebSockets only: send a WebSocket upgrade request")
                return sendRefusal(refusal, extraHeaders: corsHeaders, head: head, context: context)
            }
            return answerPolling(head, target: target, corsHeaders: corsHeaders, context: context)
        }
        if target.path == ServerSentEventsEndpoint.path {
            return openEventStream(head, target: target, context: context)
        }
        guard head.method == .GET || head.method == .HEAD else {
            return sendJSONError(.methodNotAllowed, "only GET is served", head: head, context: context)
        }
        if let file = dashboard.files[target.path] {
            return send(.ok, contentType: file.contentType, body: file.body, head: head, context: context)
        }
        switch target.path {
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

    /// Opens a Server-Sent Events stream: the response head, then a transport that writes
    /// the rest of the body for as long as the stream lasts.
    private func openEventStream(_ head: HTTPRequestHead, target: RequestTarget, context: ChannelHandlerContext) {
        let corsHeaders = cors.responseHeaders(origin: head.headers.first(name: "origin"))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        events.opening(for: head, target: target, on: context.eventLoop).whenSuccess { answer in
            let (handler, context) = bound.value
            switch answer {
            case .failure(let refusal):
                handler.sendRefusal(refusal, extraHeaders: corsHeaders, head: head, context: context)
            case .success(let opening):
                var headers = corsHeaders
                headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
                headers.add(name: "Cache-Control", value: "no-store")
                headers.add(name: "X-Accel-Buffering", value: "no")  // proxies pass events on as they come
                context.write(handler.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
                let dependencies = handler.events.dependencies
                let subscriber = Subscriber(opening: opening, dependencies: dependencies, fanOut: handler.fanOut)
                let transport = ServerSentEventsTransport(subscriber: subscriber, dependencies: dependencies, fanOut: handler.fanOut)
                do {
                    try context.pipeline.syncOperations.addHandler(transport)
                } catch {
                    context.close(promise: nil)
                }
            }
        }
    }

    /// Answers a polling request when ``PollingEndpoint`` has (a GET may wait for packets).
    private func answerPolling(_ head: HTTPRequestHead, target: RequestTarget, corsHeaders: HTTPHeaders, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        polling.answer(head, target: target, body: body, fanOut: fanOut).whenSuccess { answer in
            let (handler, context) = bound.value
            switch answer {
            case .packets(let payload):
                handler.send(.ok, contentType: "text/plain; charset=UTF-8", body: payload, extraHeaders: corsHeaders, head: head, context: context)
            case .ok:
                handler.send(.ok, contentType: "text/html", body: ByteBuffer(string: "ok"), extraHeaders: corsHeaders, head: head, context: context)
            case .error(let error):
                handler.sendRefusal(.init(error), extraHeaders: corsHeaders, head: head, context: context)
            case .unauthorized(let message):
                handler.sendJSONError(.unauthorized, message, extraHeaders: corsHeaders, head: head, context: context)
            }
        }
    }

    /// A refusal as JSON: `{"error":…}`, and for Engine.IO's errors also its `code` and
    /// `message` (what Engine.IO clients read).
    private func sendRefusal(_ refusal: WebSocketUpgrade.Refusal, extraHeaders: HTTPHeaders, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let code = refusal.engineIOCode else {
            return sendJSONError(refusal.status, refusal.message, extraHeaders: extraHeaders, head: head, context: context)
        }
        var body = ByteBuffer()
        body.writeStaticString(#"{"code":"#)
        body.writeJSONInteger(code)
        body.writeStaticString(#","message":"#)
        body.writeJSONString(refusal.message)
        body.writeStaticString(#","error":"#)
        body.writeJSONString(refusal.message)
        body.writeStaticString("}")
        send(refusal.status, contentType: "application/json", body: body, extraHeaders: extraHeaders, head: head, context: context)
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
