import Hummingbird
import NIOCore

/// The request context of the Bridge's routes: Hummingbird's core context, the connection's
/// channel (a Server-Sent Events stream takes it over; its event loop picks the fan-out),
/// and what the connection's WebSocket upgrade decided for this request.
struct BridgeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Why NIO's upgrader refused the WebSocket upgrade this request asked for; the routes of
    /// the WebSocket paths answer it.
    let upgradeRefusal: WebSocketUpgrade.Refusal?
    /// The request came as `HEAD`: it is routed as `GET` and answered without the body.
    let isHead: Bool

    init(source: ApplicationRequestContextSource) {
        self.init(source: source, upgradeRefusal: nil, isHead: false)
    }

    init(source: ApplicationRequestContextSource, upgradeRefusal: WebSocketUpgrade.Refusal?, isHead: Bool) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
        self.upgradeRefusal = upgradeRefusal
        self.isHead = isHead
    }
}
