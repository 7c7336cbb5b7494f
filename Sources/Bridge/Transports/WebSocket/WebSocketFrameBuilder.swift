import NIOCore
import NIOWebSocket

/// Builds complete server-to-client WebSocket frames (header and payload in one buffer).
///
/// Server frames are never masked (RFC 6455, 5.1), so a frame's bytes are the same for
/// every client: fan-out builds a frame once and writes the same buffer to each
/// subscriber, with no per-subscriber encoding.
enum WebSocketFrameBuilder {
    private static let allocator = ByteBufferAllocator()
    /// The longest header of an unmasked frame: 2 bytes, plus 8 for a 64-bit length.
    private static let maximumHeaderLength = 10

    /// A text frame whose payload `writePayload` appends (it must write valid UTF-8).
    static func text(capacity: Int = 256, _ writePayload: (inout ByteBuffer) -> Void) -> ByteBuffer {
        frame(opcode: .text, capacity: capacity, writePayload)
    }

    static func ping() -> ByteBuffer {
        frame(opcode: .ping, capacity: 0) { _ in }
    }

    static func pong(echoing payload: ByteBuffer) -> ByteBuffer {
        frame(opcode: .pong, capacity: payload.readableBytes) { buffer in
            var payload = payload
            // Control frame payloads are at most 125 bytes.
            buffer.writeBuffer(&payload)
            if buffer.readableBytes > 125 { buffer.moveWriterIndex(to: buffer.readerIndex + 125) }
        }
    }

    /// A close frame with a status code and a short reason (cut to fit the 125-byte limit
    /// on a character boundary).
    static func close(code: UInt16, reason: String) -> ByteBuffer {
        frame(opcode: .connectionClose, capacity: 125) { buffer in
            buffer.writeInteger(code)
            var budget = 123
            for character in reason {
                let utf8 = character.utf8
                guard utf8.count <= budget else { break }
                buffer.writeBytes(utf8)
                budget -= utf8.count
            }
        }
    }

    /// The payload of a frame built here, without copying: what a transport that is not a
    /// WebSocket (Engine.IO polling) sends of it.
    static func payload(of frame: ByteBuffer) -> ByteBuffer {
        guard let lengthByte = frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) else { return ByteBuffer() }
        let headerLength =
            switch lengthByte & 0x7F {
            case 126: 4
            case 127: 10
            default: 2
            }
        return frame.getSlice(at: frame.readerIndex + headerLength, length: frame.readableBytes - headerLength)
            ?? ByteBuffer()
    }

    private static func frame(
        opcode: WebSocketOpcode, capacity: Int, _ writePayload: (inout ByteBuffer) -> Void
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: maximumHeaderLength + capacity)
        // Write the payload after room for the longest header, then put the real header
        // just before it: one buffer, no copy of the payload.
        buffer.moveWriterIndex(forwardBy: maximumHeaderLength)
        buffer.moveReaderIndex(forwardBy: maximumHeaderLength)
        writePayload(&buffer)
        let length = buffer.readableBytes
        let firstByte = 0x80 | UInt8(webSocketOpcode: opcode)  // FIN: never fragmented
        var header: [UInt8]
        switch length {
        case 0...125:
            header = [firstByte, UInt8(length)]
        case 126...0xFFFF:
            header = [firstByte, 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        default:
            header = [firstByte, 127]
            for shift in stride(from: 56, through: 0, by: -8) {
                header.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        let start = maximumHeaderLength - header.count
        buffer.setBytes(header, at: start)
        buffer.moveReaderIndex(to: start)
        return buffer
    }
}
