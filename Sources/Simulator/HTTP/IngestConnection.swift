import NIOCore
import NIOHTTP1
import NIOPosix

/// A keep-alive HTTP/1.1 connection to Ingest that carries one webhook at a time.
final class IngestConnection: Sendable {
    private let channel: any Channel
    private let target: TargetURL

    private init(channel: any Channel, target: TargetURL) {
        self.channel = channel
        self.target = target
    }

    /// Whether the connection can carry another request.
    var isUsable: Bool { channel.isActive }

    static func connect(
        to target: TargetURL, group: any EventLoopGroup, answerTimeout: TimeAmount
    ) async throws -> IngestConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler(answerTimeout: answerTimeout))
                }
            }
            .connect(host: target.host, port: target.port)
            .get()
        return IngestConnection(channel: channel, target: target)
    }

    /// Posts `body` to `pathAndQuery` with `headers` (plus Host, Content-Length and
    /// User-Agent) and returns the answer.
    func post(
        _ pathAndQuery: String, headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> WebhookAnswer {
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: target.hostHeader)
        fields.add(name: "User-Agent", value: "callbridge-sim")
        fields.add(name: "Content-Length", value: String(body.count))
        for header in headers { fields.add(name: header.name, value: header.value) }
        let head = HTTPRequestHead(
            version: .http1_1, method: .POST, uri: target.basePath + pathAndQuery, headers: fields)
        let answer = channel.eventLoop.makePromise(of: WebhookAnswer.self)
        let request = OutgoingWebhook(head: head, body: channel.allocator.buffer(bytes: body), answer: answer)
        // A write that fails (the connection is gone) fails the answer too.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascadeFailure(to: answer)
        channel.writeAndFlush(request, promise: written)
        return try await answer.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}
