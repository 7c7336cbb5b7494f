#if CALLBRIDGE_FUZZ
import CallEvents
import Foundation
import NIOCore
import ServerSupport
import WireFormats

// The fuzzing build of the Bridge (`scripts/fuzz.sh`: compiled with `-sanitize=fuzzer` and
// `-DCALLBRIDGE_FUZZ`, so libFuzzer's driver runs instead of the command) feeds each input to
// one of the parsers of what clients and Kafka send, chosen by CALLBRIDGE_FUZZ_TARGET. Any
// crash, trap or hang is a defect.

private let target = ProcessInfo.processInfo.environment["CALLBRIDGE_FUZZ_TARGET"] ?? "plain"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch target {
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
        fatalError("CALLBRIDGE_FUZZ_TARGET must be one of plain, socketio, position, target, event, json (got \(target))")
    }
    return 0
}

/// SwiftPM links an executable's entry point under this name (`--defsym main=Bridge_main`).
@_cdecl("Bridge_main")
public func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzClientMessage)
}
#endif
