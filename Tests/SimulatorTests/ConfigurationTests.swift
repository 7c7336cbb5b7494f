import Crypto
import Foundation
import Settings
import Testing

@testable import Simulator

@Suite("Simulator configuration")
struct ConfigurationTests {
    @Test("--providers weights, names alone, all, and zero")
    func providerMix() throws {
        #expect(try ProviderMix.parse("twilio=2,vapi=1").description == "twilio=2,vapi=1")
        #expect(try ProviderMix.parse("generic, retell").description == "retell=1,generic=1")
        #expect(try ProviderMix.parse("all").providers == ProviderName.allCases)
        #expect(try ProviderMix.parse("all,telnyx=0").providers == [.twilio, .vapi, .retell, .generic])
        #expect(try ProviderMix.parse("twilio=3,all").description == "twilio=3,vapi=1,retell=1,telnyx=1,generic=1")
        #expect(try ProviderMix.parse("twilio=0.5").description == "twilio=0.5")
    }

    @Test(
        "--providers refuses unknown names, bad weights, repeats and an empty mix",
        arguments: [
            "skype=1", "twilio=-1", "twilio=x", "twilio,twilio", "", "twilio=0",
        ])
    func badProviderMix(_ text: String) {
        #expect(throws: ConfigurationError.self) { try ProviderMix.parse(text) }
    }

    @Test("--url: host, port, prefix; http only")
    func targetURL() throws {
        let plain = try TargetURL.parse("http://127.0.0.1:8080")
        #expect(plain.host == "127.0.0.1" && plain.port == 8080 && plain.basePath == "")
        #expect(plain.baseURL == "http://127.0.0.1:8080" && plain.hostHeader == "127.0.0.1:8080")
        let prefixed = try TargetURL.parse("http://proxy/ingest/")
        #expect(prefixed.port == 80 && prefixed.basePath == "/ingest" && prefixed.baseURL == "http://proxy/ingest")
        let v6 = try TargetURL.parse("http://[::1]:9000")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.hostHeader == "[::1]:9000")
        for bad in ["https://x", "127.0.0.1:8080", "http://", "http://x:0", "http://x:70000", "http://x/?a=1"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try TargetURL.parse(bad) }
        }
    }

    /// RFC 8032 section 7.1, test 1: the seed and its public key.
    static let rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let rfc8032Public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    @Test("Telnyx private key: base64 seed, base64 seed+public, PEM (PKCS #8)")
    func telnyxPrivateKey() throws {
        let seed = Self.bytes(hex: Self.rfc8032Seed)
        let publicKey = Data(Self.bytes(hex: Self.rfc8032Public)).base64EncodedString()

        let fromSeed = try TelnyxPrivateKey.parse(Data(seed).base64EncodedString(), source: "test")
        #expect(TelnyxPrivateKey.publicKeyBase64(of: fromSeed) == publicKey)

        let fromPair = try TelnyxPrivateKey.parse(
            Data(seed + Self.bytes(hex: Self.rfc8032Public)).base64EncodedString(), source: "test")
        #expect(TelnyxPrivateKey.publicKeyBase64(of: fromPair) == publicKey)

        // What `openssl genpkey -algorithm ed25519` writes: PKCS #8 around the seed.
        let der: [UInt8] =
            [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        let pem = "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----\n"
        let fromPEM = try TelnyxPrivateKey.parse(pem, source: "test")
        #expect(TelnyxPrivateKey.publicKeyBase64(of: fromPEM) == publicKey)

        for bad in [
            "not base64!", Data([1, 2, 3]).base64EncodedString(),
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            #expect(throws: ConfigurationError.self) { try TelnyxPrivateKey.parse(bad, source: "test") }
        }
    }

    @Test("Secrets come from the environment; a Telnyx key that does not match TELNYX_PUBLIC_KEY is refused")
    func secretsFromEnvironment() throws {
        let key = Curve25519.Signing.PrivateKey()
        let environment = [
            "TWILIO_AUTH_TOKEN": "t", "VAPI_SECRET": "v",
            "TELNYX_PRIVATE_KEY": key.rawRepresentation.base64EncodedString(),
            "TELNYX_PUBLIC_KEY": key.publicKey.rawRepresentation.base64EncodedString(),
        ]
        let secrets = try ProviderSecrets(
            reading: SettingsReader(settings: SimulatorSettings.all, arguments: [], environment: environment))
        #expect(secrets.has(.twilio) && secrets.has(.vapi) && secrets.has(.telnyx))
        #expect(!secrets.has(.retell) && !secrets.has(.generic))

        var mismatched = environment
        mismatched["TELNYX_PUBLIC_KEY"] = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
            .base64EncodedString()
        #expect(throws: ConfigurationError.self) {
            try ProviderSecrets(
                reading: SettingsReader(settings: SimulatorSettings.all, arguments: [], environment: mismatched))
        }
    }
}
