#if CALLBRIDGE_FUZZ
import Foundation
import HTTPTypes
import NIOCore
import ServerSupport

// The fuzzing build of Ingest (`scripts/fuzz.sh`: compiled with `-sanitize=fuzzer` and
// `-DCALLBRIDGE_FUZZ`, so libFuzzer's driver runs instead of the command) feeds each input
// to one provider's verifier and parser, chosen by CALLBRIDGE_FUZZ_TARGET. Any crash,
// trap or hang is a defect. The entry points are the executable's (IngestMain).

/// One provider under fuzzing, with the test secrets of the system tests' shape.
package struct WebhookFuzzTarget {
    let name: String
    let provider: any WebhookProvider

    package init(name: String) {
        var configuration = IngestConfiguration()
        configuration.publicBaseURL = "https://hooks.example.com"
        configuration.secrets = .init(
            twilioAuthToken: "fuzz-twilio-token",
            vapiSecret: "fuzz-vapi-secret",
            retellAPIKey: "key_fuzz",
            // The Ed25519 public key of a fixed private key (32 bytes of 0x01).
            telnyxPublicKey: "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=",
            genericWebhookSecret: "fuzz-generic-secret",
            callerHashKey: "fuzz-caller-hash-key"
        )
        guard let provider = try? WebhookProviders.enabled(by: configuration)[name] else {
            fatalError("CALLBRIDGE_FUZZ_TARGET must be one of twilio, vapi, retell, telnyx, generic (got \(name))")
        }
        self.name = name
        self.provider = provider
    }

    /// The input is a query string, a newline, header lines (`name: value`) up to an empty
    /// line, then the body: so the fuzzer mutates signatures, timestamps and bodies alike.
    package func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let newline = UInt8(ascii: "\n")
        let queryEnd = bytes.firstIndex(of: newline) ?? bytes.count
        var headers = HTTPFields()
        var index = min(bytes.count, queryEnd + 1)
        while index < bytes.count {
            let lineEnd = bytes[index...].firstIndex(of: newline) ?? bytes.count
            defer { index = min(bytes.count, lineEnd + 1) }
            if lineEnd == index { break }
            let line = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
            guard let colon = line.firstIndex(of: ":"), let field = HTTPField.Name(String(line[..<colon])) else {
                continue
            }
            headers.append(
                HTTPField(name: field, value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let query = String(decoding: bytes[..<queryEnd], as: UTF8.self)
        let request = WebhookRequest(
            uri: "/webhooks/\(name)" + (query.isEmpty ? "" : "?" + query),
            headers: headers,
            body: ByteBuffer(bytes: bytes[index...]),
            receivedAt: Date()
        )
        _ = try? provider.authenticate(request)
        _ = try? provider.normalize(request)
    }
}
#endif
