import Hummingbird
import Prometheus
import ServerSupport

/// The Bridge's HTTP routes, everything but WebSocket upgrades (NIO's upgrader takes those
/// before routing): the operations endpoints shared with Ingest, the dashboard, Engine.IO
/// long-polling, Server-Sent Events, and the answers of the WebSocket paths to requests
/// that did not upgrade.
struct BridgeRoutes: Sendable {
    var dashboard: DashboardPage
    var readiness: Readiness
    var registry: PrometheusCollectorRegistry?
    var polling: PollingEndpoint
    var events: ServerSentEventsEndpoint
    var cors: CORSPolicy
    var fanOuts: LoopFanOuts

    func buildResponder() -> RouterResponder<BridgeRequestContext> {
        let router = Router(context: BridgeRequestContext.self)
        router.add(middleware: UnroutedMiddleware())
        OperationsController(readiness: readiness, registry: registry).addRoutes(to: router)
        DashboardController(dashboard: dashboard).addRoutes(to: router)
        SocketIOController(polling: polling, cors: cors, fanOuts: fanOuts).addRoutes(to: router)
        PlainWebSocketController().addRoutes(to: router)
        EventStreamController(events: events, cors: cors, fanOuts: fanOuts).addRoutes(to: router)
        return router.buildResponder()
    }
}

/// What no route takes, answered in the contract's shape: `{"error":…}`, 404 for a `GET` of
/// an unknown path, 405 for another method.
struct UnroutedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard request.method == .get else {
                return JSONResponse.error(.methodNotAllowed, "only GET is served")
            }
            return JSONResponse.error(.notFound, "no such path: \(request.uri.path.prefix(200))")
        }
    }
}
