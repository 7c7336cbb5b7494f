import HTTPTypes
import Hummingbird
import NIOCore
import ServerSupport

/// `GET /events`: a Server-Sent Events stream (``ServerSentEventsEndpoint`` decides how it
/// opens). The response's head goes out through the router; the body is then written by a
/// ``ServerSentEventsTransport`` that takes the connection over for as long as the stream lasts.
struct EventStreamController: Sendable {
    let events: ServerSentEventsEndpoint
    let cors: CORSPolicy
    let fanOuts: LoopFanOuts

    /// What a reconnecting `EventSource` sends.
    private static let lastEventID = HTTPField.Name("Last-Event-ID")!
    private static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!

    func addRoutes(to router: Router<BridgeRequestContext>) {
        router.get("events") { request, context in
            try await open(request, context: context)
        }
    }

    private func open(_ request: Request, context: BridgeRequestContext) async throws -> Response {
        let corsHeaders = cors.responseHeaders(origin: request.headers[.origin])
        guard !context.isHead else {
            return JSONResponse.error(.methodNotAllowed, "only GET is served", headers: corsHeaders)
        }
        let channel = context.channel
        let answer = try await events.opening(
            authorization: request.headers[.authorization],
            lastEventID: request.headers[Self.lastEventID],
            target: RequestTarget(request.head.path ?? "/"),
            on: channel.eventLoop
        ).get()
        let opening: Subscriber.Opening
        switch answer {
        case .failure(let refusal): return refusal.response(headers: corsHeaders)
        case .success(let success): opening = success
        }
        var headers = corsHeaders
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[Self.accelBuffering] = "no"  // proxies pass events on as they come
        let fanOut = fanOuts.fanOut(for: channel.eventLoop)
        let dependencies = events.dependencies
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { _ in
                try await channel.eventLoop.submit {
                    let subscriber = Subscriber(opening: opening, dependencies: dependencies, fanOut: fanOut)
                    let transport = ServerSentEventsTransport(
                        subscriber: subscriber, dependencies: dependencies, fanOut: fanOut)
                    try channel.pipeline.syncOperations.addHandler(transport)
                }.get()
                // The transport ends the response (and the connection) itself.
                try await channel.closeFuture.get()
            })
    }
}
