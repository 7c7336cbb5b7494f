import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ServerSupport

/// The connection guard in a real HTTP/1 pipeline on an `EmbeddedChannel`: guard, NIO's
/// encoder and decoder, the progress observer, and a responder answering 200 to each request.
@Suite("Connection guard")
struct ConnectionGuardTests {
    static let limits = ConnectionLimits(maxConnections: 2, requestTimeout: .seconds(10), idleTimeout: .seconds(60))

    final class OKResponder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "2"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    static func connection(_ connections: ServerConnections) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(connections.makeGuard())
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try pipeline.addHandler(HTTPProgressObserver())
        try pipeline.addHandler(OKResponder())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return channel
    }

    static func connections(_ limits: ConnectionLimits = limits) -> ServerConnections {
        ServerConnections(limits: limits, metricsPrefix: "test", logger: Logger(label: "test"))
    }

    /// Everything written to the socket so far, as text.
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }

    static func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// The status and the JSON `error` of an answer that closes the connection.
    static func closingError(_ text: String) throws -> (status: Int, error: String) {
        let parts = text.components(separatedBy: "\r\n\r\n")
        guard parts.count == 2 else {
            Issue.record("not one complete answer: \(text.prefix(300))")
            return (0, "")
        }
        let head = parts[0]
        let status = Int(head.split(separator: " ")[1]) ?? 0
        #expect(head.contains("Content-Type: application/json"))
        #expect(head.contains("Connection: close"))
        let body = try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: String]
        return (status, body?["error"] ?? "")
    }

    @Test("a connection past the cap is answered 503 with a JSON error and Retry-After, then closed")
    func capRefusal() throws {
        let connections = Self.connections()
        let first = try Self.connection(connections)
        let second = try Self.connection(connections)
        let third = try Self.connection(connections)
        #expect(try Self.written(first).isEmpty)
        #expect(try Self.written(second).isEmpty)
        let refusal = try Self.written(third)
        #expect(refusal.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(refusal.contains("Retry-After: 1\r\n"))
        #expect(try Self.closingError(refusal).error.contains("limit of 2 connections"))
        #expect(!third.isActive)
        #expect(connections.open == 2)

        // What a refused client sends reaches nothing behind the guard.
        _ = try? first.close().wait()
        #expect(connections.open == 1)
        let fourth = try Self.connection(connections)
        #expect(try Self.written(fourth).isEmpty)
        #expect(fourth.isActive)
    }

    @Test("a request that does not arrive within the request timeout is answered 408, even if bytes trickle in")
    func requestTimeout() throws {
        let channel = try Self.connection(Self.connections())
        let loop = channel.embeddedEventLoop
        // A byte every 250 ms: the head alone would take 20 s.
        for byte in "POST /webhooks/generic HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n" {
            try Self.send(String(byte), to: channel)
            loop.advanceTime(by: .milliseconds(250))
            if !channel.isActive { break }
        }
        let answer = try Self.written(channel)
        #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(try Self.closingError(answer).error.contains("10000 ms"))
        #expect(!channel.isActive)
    }

    @Test("a connection that sends nothing is answered 408 after the request timeout")
    func silentConnection() throws {
        let channel = try Self.connection(Self.connections())
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 408 "))
        #expect(!channel.isActive)
    }

    @Test("a keep-alive connection with no request in progress is closed after the idle timeout, without an answer")
    func idleTimeout() throws {
        let channel = try Self.connection(Self.connections())
        let loop = channel.embeddedEventLoop
        try Self.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 200 OK"))
        loop.advanceTime(by: .seconds(30))  // past the request timeout: no request is in progress
        #expect(channel.isActive)
        // a second request restarts the idle time
        try Self.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 200 OK"))
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(try Self.written(channel).isEmpty)
    }

    @Test("an upgraded connection is never timed out")
    func upgradedConnection() throws {
        let channel = try Self.connection(Self.connections())
        try Self.send("GET /ws HTTP/1.1\r\nHost: x\r\n", to: channel)
        channel.pipeline.triggerUserOutboundEvent(ConnectionGuard.Progress.upgraded, promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .hours(2))
        #expect(channel.isActive)
        #expect(try Self.written(channel).isEmpty)
    }

    @Test(
        "malformed HTTP is answered with its status and a JSON error, then closed",
        arguments: [
            ("NOT AN HTTP REQUEST\u{1}\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100 * 1024) + "\r\n\r\n", 431),
        ]
    )
    func malformedRequest(request: String, status: Int) throws {
        let channel = try Self.connection(Self.connections())
        try? Self.send(request, to: channel)  // the decoder's error also reaches the end of the pipeline
        let answer = try Self.written(channel)
        let (got, error) = try Self.closingError(answer)
        #expect(got == status, "\(answer.prefix(200))")
        #expect(!error.isEmpty)
        #expect(!channel.isActive)
    }

    @Test("a connection's slot is released when it closes")
    func slotReleased() throws {
        let connections = Self.connections()
        let channel = try Self.connection(connections)
        #expect(connections.open == 1)
        _ = try? channel.close().wait()
        #expect(connections.open == 0)
    }

    @Test("past the refusals in flight, a refused connection is closed without an answer")
    func refusalsInFlight() throws {
        var limits = Self.limits
        limits.maxConnections = 1
        limits.maxRefusalsInFlight = 0
        let connections = Self.connections(limits)
        let first = try Self.connection(connections)
        let refused = try Self.connection(connections)
        #expect(first.isActive)
        #expect(try Self.written(refused).isEmpty)
        #expect(!refused.isActive)
    }

    @Test("max connections and refusals in flight are lowered to what the open-file limit leaves room for")
    func fileLimitReserve() {
        #expect(FileLimit.connections(fitting: 1024) == 922)
        #expect(FileLimit.refusals(fitting: 1024, connections: 922) == 51)
        #expect(FileLimit.connections(fitting: 20_000) == 18_000)
        #expect(FileLimit.refusals(fitting: 20_000, connections: 10_000) == 9_000)
        #expect(FileLimit.connections(fitting: 10) == 1)
    }
}
