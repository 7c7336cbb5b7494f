import NIOCore
import NIOWebSocket

/// Checks every frame a client sends against RFC 6455 *before* NIO's aggregator merges
/// fragments: the merged frame has no mask key and no RSV bits of its own, so these checks
/// cannot be made on it. A frame that breaks the protocol is dropped and reported to the
/// ``WebSocketTransport`` behind as a ``ClientFrameViolation``, which closes the
/// connection with the violation's code; frames after it are dropped too, except a close.
final class ClientFrameValidator: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private var violated = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if violated {
            if frame.opcode == .connectionClose { context.fireChannelRead(data) }  // completes the close handshake
            return
        }
        if let violation = Self.violation(in: frame) {
            violated = true
            context.fireErrorCaught(violation)
            return
        }
        context.fireChannelRead(data)
    }

    /// What is wrong with one frame from a client, if anything.
    static func violation(in frame: WebSocketFrame) -> ClientFrameViolation? {
        // 5.1: a client masks every frame.
        guard frame.maskKey != nil else {
            return ClientFrameViolation(code: 1002, reason: "client frames must be masked")
        }
        // 5.2: no extension was negotiated, so a reserved bit or opcode fails the connection.
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return ClientFrameViolation(code: 1002, reason: "reserved bits set without an extension")
        }
        switch frame.opcode {
        case .text, .binary, .continuation:
            return nil
        case .ping, .pong:
            return nil  // NIO's decoder refuses fragmented or long control frames
        case .connectionClose:
            return closeViolation(frame.unmaskedData)
        default:
            return ClientFrameViolation(code: 1002, reason: "reserved opcode")
        }
    }

    /// 5.5.1 and 7.4: a close frame is empty, or a valid status code and a UTF-8 reason.
    private static func closeViolation(_ payload: ByteBuffer) -> ClientFrameViolation? {
        var payload = payload
        guard payload.readableBytes != 0 else { return nil }
        guard let code = payload.readInteger(as: UInt16.self) else {
            return ClientFrameViolation(code: 1002, reason: "a close frame's status code takes two bytes")
        }
        guard isValidReceivedCloseCode(code) else {
            return ClientFrameViolation(code: 1002, reason: "invalid close code \(code)")
        }
        guard String(validating: payload.readableBytesView, as: UTF8.self) != nil else {
            return ClientFrameViolation(code: 1007, reason: "a close reason must be UTF-8")
        }
        return nil
    }

    /// The codes an endpoint may send (7.4.1 and the IANA registry): 1005, 1006 and 1015
    /// are reserved for reporting, never sent; 1004 and 1016–2999 are unassigned or
    /// reserved for the protocol; 3000–4999 are for libraries and applications.
    static func isValidReceivedCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// A client frame that breaks RFC 6455: the connection is closed with `code`.
struct ClientFrameViolation: Error, Equatable {
    var code: UInt16
    var reason: String
}
