import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import Bridge

/// Records what passes the validator: frames, and errors fired to the handlers behind.
private final class Recorder: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    var frames: [WebSocketFrame] = []
    var errors: [any Error] = []
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { frames.append(unwrapInboundIn(data)) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { errors.append(error) }
}

private func masked(
    _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false, mask: Bool = true
) -> WebSocketFrame {
    let key: WebSocketMaskingKey? = mask ? WebSocketMaskingKey([1, 2, 3, 4]) : nil
    var data = ByteBuffer(bytes: payload)
    if let key { data.webSocketMask(key) }
    return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key, data: data)
}

private func closeFrame(code: UInt16, reason: [UInt8] = []) -> WebSocketFrame {
    var payload = ByteBuffer()
    payload.writeInteger(code)
    payload.writeBytes(reason)
    return masked(.connectionClose, Array(payload.readableBytesView))
}

@Suite("Client frame validator")
struct ClientFrameValidatorTests {
    /// Runs `frames` through a validator and NIO's aggregator, as the Bridge's pipeline does.
    private func run(_ frames: [WebSocketFrame]) throws -> Recorder {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ClientFrameValidator(),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 4096),
            recorder,
        ])
        for frame in frames { try channel.writeInbound(frame) }
        _ = try channel.finish(acceptAlreadyClosed: true)
        return recorder
    }

    @Test("a masked message in fragments, with a ping between them, passes as one text frame")
    func fragments() throws {
        let recorder = try run([
            masked(.text, Array(#"{"type":"#.utf8), fin: false),
            masked(.ping, []),
            masked(.continuation, Array(#""leave"}"#.utf8)),
        ])
        #expect(recorder.errors.isEmpty)
        #expect(recorder.frames.map(\.opcode) == [.ping, .text])
        #expect(String(buffer: recorder.frames[1].unmaskedData) == #"{"type":"leave"}"#)
    }

    @Test("a fragment that breaks the protocol is reported once and nothing after it passes but a close")
    func violations() throws {
        let recorder = try run([
            masked(.text, Array("ab".utf8), fin: false),
            masked(.continuation, Array("cd".utf8), rsv1: true),
            masked(.text, Array("after".utf8)),
            masked(.connectionClose, []),
        ])
        #expect(
            recorder.errors.compactMap { $0 as? ClientFrameViolation } == [
                ClientFrameViolation(code: 1002, reason: "reserved bits set without an extension")
            ])
        #expect(recorder.frames.map(\.opcode) == [.connectionClose])
    }

    @Test("unmasked frames, reserved opcodes and RSV bits are violations with 1002")
    func protocolErrors() {
        let frames = [
            masked(.text, Array("x".utf8), mask: false),
            masked(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, Array("x".utf8)),
            masked(WebSocketOpcode(encodedWebSocketOpcode: 0xB)!, Array("x".utf8)),
            masked(.binary, Array("x".utf8), rsv1: true),
        ]
        for frame in frames {
            #expect(ClientFrameValidator.violation(in: frame)?.code == 1002)
        }
    }

    @Test(
        "close frames: valid codes pass; reserved, unassigned and out-of-range codes are 1002; a bad reason is 1007",
        arguments: [
            (UInt16(1000), nil), (1001, nil), (1003, nil), (1007, nil), (1011, nil), (1014, nil), (3000, nil),
            (4999, nil),
            (0, 1002), (999, 1002), (1004, 1002), (1005, 1002), (1006, 1002), (1015, 1002), (2999, 1002), (5000, 1002),
        ] as [(UInt16, UInt16?)])
    func closeCodes(code: UInt16, expected: UInt16?) {
        #expect(ClientFrameValidator.violation(in: closeFrame(code: code))?.code == expected)
    }

    @Test("close frames: empty passes, one byte is 1002, a reason that is not UTF-8 is 1007")
    func closePayloads() {
        #expect(ClientFrameValidator.violation(in: masked(.connectionClose, [])) == nil)
        #expect(ClientFrameValidator.violation(in: masked(.connectionClose, [0x03]))?.code == 1002)
        #expect(ClientFrameValidator.violation(in: closeFrame(code: 1000, reason: [0xFF]))?.code == 1007)
        #expect(ClientFrameValidator.violation(in: closeFrame(code: 1000, reason: Array("bye ✓".utf8))) == nil)
    }
}
