import Hummingbird
import Prometheus

/// `GET /healthz` (the process answers), `GET /readyz` (what ``Readiness`` says: Ingest's
/// Kafka and topics, the Bridge's replay window), `GET /metrics` (Prometheus text format).
/// The same routes in both services.
public struct OperationsController<Context: RequestContext>: Sendable {
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry?

    public init(readiness: Readiness, registry: PrometheusCollectorRegistry?) {
        self.readiness = readiness
        self.registry = registry
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "ok"])
        }
        router.get("readyz") { [readiness] _, _ in
            switch readiness.status {
            case .ready:
                return JSONResponse.make(.ok, ["status": "ready"])
            case .notReady(let reason):
                return JSONResponse.error(.serviceUnavailable, "not ready: \(reason)")
            }
        }
        router.get("metrics") { [registry] _, _ in
            let text = registry?.emitToBuffer() ?? []
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }
}
