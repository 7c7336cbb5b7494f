#if CALLBRIDGE_FUZZ
import Foundation
import Ingest
import ServerSupport

// The fuzzing build's entry points (`scripts/fuzz.sh`): libFuzzer's driver instead of the
// command, each input given to the provider CALLBRIDGE_FUZZ_TARGET names.

private let target = WebhookFuzzTarget(
    name: ProcessInfo.processInfo.environment["CALLBRIDGE_FUZZ_TARGET"] ?? "generic"
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhook(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// SwiftPM links an executable's entry point under its target's name (`--defsym main=IngestMain_main`).
@_cdecl("IngestMain_main")
public func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzWebhook)
}
#endif
