import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServerSupport

/// Hummingbird's HTTP/1 channel behind a ``ConnectionGuard`` (connection cap, request and
/// idle timeouts, JSON answers to malformed HTTP): the guard is the first handler, before
/// the HTTP decoder, and an ``HTTPProgressObserver`` sits right after the decoder.
struct GuardedHTTP1Channel: ServerChildChannel {
    let http: HTTP1Channel
    let connections: ServerConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let connections = self.connections
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(connections.makeGuard())
        }
        .flatMap { http.setup(channel: channel, logger: logger) }
        .flatMapThrowing { value in
            // After the decoder, not among Hummingbird's additional handlers (after its
            // HTTPTypes codec): here it sees NIOHTTP1's parts, as in the Bridge.
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPProgressObserver(), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 behind the connection guard of `connections`.
    static func guardedHTTP1(_ connections: ServerConnections) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http: HTTP1Channel(responder: responder), connections: connections)
        }
    }
}
