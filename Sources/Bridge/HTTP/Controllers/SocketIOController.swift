import Hummingbird
import ServerSupport

/// `/socket.io/` without a WebSocket upgrade: Engine.IO long-polling (``PollingEndpoint``),
/// CORS preflights, and the Engine.IO errors of requests that cannot be served (a refused
/// upgrade, a bad `EIO` or `transport`). Every answer carries the CORS headers of
/// ``CORSPolicy``: pages of other origins read them.
struct SocketIOController: Sendable {
    static let path: RouterPath = "socket.io"

    let polling: PollingEndpoint
    let cors: CORSPolicy
    let fanOuts: LoopFanOuts

    func addRoutes(to router: Router<BridgeRequestContext>) {
        router.on(Self.path, method: .options) { request, _ in
            let headers = cors.preflightHeaders(
                origin: request.headers[.origin], requestedHeaders: request.headers[.accessControlRequestHeaders]
            )
            return Response(status: .noContent, headers: headers)
        }
        // Polling takes GET and POST; other methods get Engine.IO's error, with CORS headers.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on(Self.path, method: method) { request, context in
                try await answer(request, context: context)
            }
        }
    }

    private func answer(_ request: Request, context: BridgeRequestContext) async throws -> Response {
        let corsHeaders = cors.responseHeaders(origin: request.headers[.origin])
        if let refusal = context.upgradeRefusal {
            return refusal.response(headers: corsHeaders)
        }
        let target = RequestTarget(request.head.path ?? "/")
        if case .failure(let refusal) = WebSocketUpgrade.check(.socketIO, target, upgrading: false) {
            return refusal.response(headers: corsHeaders)
        }
        guard target.query["transport"] == "polling" else {
            return WebSocketUpgrade.Refusal(.badRequest("transport=websocket needs a WebSocket upgrade request"))
                .response(headers: corsHeaders)
        }
        // The router's handler kept at most one byte past the limit: enough to tell.
        let body = try await request.body.collect(upTo: .max)
        let method = context.isHead ? HTTPRequest.Method.head : request.method
        let authorization = request.headers[.authorization]
        let payload = body.readableBytes > polling.maximumPayload ? nil : body
        let fanOut = fanOuts.fanOut(for: context.channel.eventLoop)
        // Sessions and subscribers live on their event loop: the endpoint runs there.
        let answer = try await fanOut.eventLoop.flatSubmit { [polling] in
            polling.answer(method: method, target: target, authorization: authorization, body: payload, fanOut: fanOut)
        }.get()
        var headers = corsHeaders
        switch answer {
        case .packets(let payload):
            headers[.contentType] = "text/plain; charset=UTF-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: payload))
        case .ok:
            headers[.contentType] = "text/html"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
        case .error(let error):
            return WebSocketUpgrade.Refusal(error).response(headers: corsHeaders)
        case .unauthorized(let message):
            return JSONResponse.error(.unauthorized, message, headers: corsHeaders)
        }
    }
}
