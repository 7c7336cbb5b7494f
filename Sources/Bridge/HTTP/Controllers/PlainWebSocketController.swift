import Hummingbird

/// `/ws` without a WebSocket upgrade: why the upgrade was refused (401 for a missing or bad
/// token, 403 for an origin, 400 for a bad `since`), else 426.
struct PlainWebSocketController: Sendable {
    func addRoutes(to router: Router<BridgeRequestContext>) {
        router.get("ws") { _, context in
            let refusal =
                context.upgradeRefusal
                ?? WebSocketUpgrade.Refusal(
                    status: .upgradeRequired,
                    message: "this path serves WebSockets only: send a WebSocket upgrade request"
                )
            return refusal.response()
        }
    }
}
