#if CALLBRIDGE_FUZZ
import Bridge
import Foundation
import ServerSupport

// The fuzzing build's entry points (`scripts/fuzz.sh`): libFuzzer's driver instead of the
// command, each input given to the parser CALLBRIDGE_FUZZ_TARGET names.

private let target = ClientMessageFuzzTarget(
    name: ProcessInfo.processInfo.environment["CALLBRIDGE_FUZZ_TARGET"] ?? "plain"
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// SwiftPM links an executable's entry point under its target's name (`--defsym main=BridgeMain_main`).
@_cdecl("BridgeMain_main")
public func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzClientMessage)
}
#endif
