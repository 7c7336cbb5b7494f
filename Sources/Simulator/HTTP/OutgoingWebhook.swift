import NIOCore
import NIOHTTP1

/// A request on its way to Ingest, with the promise its answer fulfils. Written into the
/// channel as one value, so the handler pairs the request with its answer.
struct OutgoingWebhook: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var answer: EventLoopPromise<WebhookAnswer>
}
