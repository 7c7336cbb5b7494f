import Hummingbird
import Prometheus

/// `GET /healthz` (the process answers), `GET /readyz` (Kafka answers and the topics exist),
/// `GET /metrics` (Prometheus text format).
struct OperationsController<Context: RequestContext>: Sendable {
    let readiness: KafkaReadiness
    let registry: PrometheusCollectorRegistry?

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "ok"])
        }
        router.get("readyz") { _, _ in
            switch readiness.status {
            case .ready:
                return JSONResponse.make(.ok, ["status": "ready"])
            case .notReady(let reason):
                return JSONResponse.error(.serviceUnavailable, "not ready: \(reason)")
            }
        }
        router.get("metrics") { _, _ in
            let text = registry?.emitToBuffer() ?? []
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }
}
