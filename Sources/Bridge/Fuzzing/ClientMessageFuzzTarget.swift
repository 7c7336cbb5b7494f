#if CALLBRIDGE_FUZZ
import CallEvents
import Foundation
import NIOCore
import ServerSupport
import WireFormats

// The fuzzing build of the Bridge (`scripts/fuzz.sh`: compiled with `-sanitize=fuzzer` and
// `-DCALLBRIDGE_FUZZ`, so libFuzzer's driver runs instead of the command) feeds each input to
// one of the parsers of what clients and Kafka send, chosen by CALLBRIDGE_FUZZ_TARGET. Any
// crash, trap or hang is a defect. The entry points are the executable's (BridgeMain).

/// One parser under fuzzing.
package struct ClientMessageFuzzTarget {
    static let names = ["plain", "socketio", "position", "target", "event", "json"]
    let name: String

    package init(name: String) {
        guard Self.names.contains(name) else {
            fatalError("CALLBRIDGE_FUZZ_TARGET must be one of \(Self.names.joined(separator: ", ")) (got \(name))")
        }
        self.name = name
    }

    package func run(_ bytes: UnsafeRawBufferPointer) {
        switch name {
        case "plain":  // a /ws client message
            _ = PlainProtocol.parse(ByteBuffer(bytes: bytes))
        case "socketio":  // an Engine.IO / Socket.IO packet
            _ = SocketIOProtocol.parse(ByteBuffer(bytes: bytes))
        case "position":  // a `since` position
            if let position = RoomPosition(encoded: String(decoding: bytes, as: UTF8.self)) {
                precondition(RoomPosition(encoded: position.encoded) == position, "a position must round-trip")
            }
        case "target":  // a request target: path and query
            _ = RequestTarget(String(decoding: bytes, as: UTF8.self)).query["token"]
        case "event":  // a record of the calls topic
            _ = try? CallEvent.decode(ByteBuffer(bytes: bytes))
        case "json":  // any document, read by JSONValue and by Foundation: they must agree
            if case .mismatch(let difference) = JSONDifferential.compare(bytes) {
                fatalError("JSONValue and JSONSerialization disagree: \(difference)")
            }
        default:
            preconditionFailure("init(name:) accepts only the names above")
        }
    }
}
#endif
