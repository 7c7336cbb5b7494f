import Crypto
import ServerSupport
import WireFormats

/// The providers' secrets the simulator signs with: the same environment variables (and
/// `--NAME-file` flags) as Ingest's, except Telnyx, where the simulator plays Telnyx and
/// needs the private key (`TELNYX_PRIVATE_KEY`) whose public half Ingest holds.
/// A provider whose secret is missing cannot be simulated.
struct ProviderSecrets: Sendable {
    var twilioAuthToken: String?
    var vapiSecret: String?
    var retellAPIKey: String?
    var telnyxPrivateKey: Curve25519.Signing.PrivateKey?
    var genericWebhookSecret: String?

    /// Where each provider's secret comes from, for messages and `--help`.
    static func source(of provider: ProviderName) -> String {
        switch provider {
        case .twilio: "TWILIO_AUTH_TOKEN (or --twilio-auth-token-file)"
        case .vapi: "VAPI_SECRET (or --vapi-secret-file)"
        case .retell: "RETELL_API_KEY (or --retell-api-key-file)"
        case .telnyx: "TELNYX_PRIVATE_KEY (or --telnyx-private-key-file)"
        case .generic: "GENERIC_WEBHOOK_SECRET (or --generic-webhook-secret-file)"
        }
    }

    func has(_ provider: ProviderName) -> Bool {
        switch provider {
        case .twilio: twilioAuthToken != nil
        case .vapi: vapiSecret != nil
        case .retell: retellAPIKey != nil
        case .telnyx: telnyxPrivateKey != nil
        case .generic: genericWebhookSecret != nil
        }
    }

    /// Secret files given by flag, by provider (nil: take the environment variable).
    struct Files: Sendable {
        var twilioAuthToken: String?
        var vapiSecret: String?
        var retellAPIKey: String?
        var telnyxPrivateKey: String?
        var genericWebhookSecret: String?
    }

    /// Reads every secret from its file or environment variable. When `TELNYX_PUBLIC_KEY`
    /// is set as well (a local run exports both), the private key must match it: a mismatch
    /// would otherwise show up only as a stream of 401s.
    static func resolve(_ setting: Setting, files: Files) throws -> ProviderSecrets {
        var secrets = ProviderSecrets(
            twilioAuthToken: try setting.secret(env: "TWILIO_AUTH_TOKEN", file: files.twilioAuthToken),
            vapiSecret: try setting.secret(env: "VAPI_SECRET", file: files.vapiSecret),
            retellAPIKey: try setting.secret(env: "RETELL_API_KEY", file: files.retellAPIKey),
            genericWebhookSecret: try setting.secret(env: "GENERIC_WEBHOOK_SECRET", file: files.genericWebhookSecret)
        )
        if let text = try setting.secret(env: "TELNYX_PRIVATE_KEY", file: files.telnyxPrivateKey) {
            let source = files.telnyxPrivateKey.map { "the file \($0) (--telnyx-private-key-file)" } ?? "TELNYX_PRIVATE_KEY"
            let key = try TelnyxPrivateKey.parse(text, source: source)
            if let expected = try setting.secret(env: "TELNYX_PUBLIC_KEY", file: nil),
               expected.trimmedWhitespace() != TelnyxPrivateKey.publicKeyBase64(of: key) {
                throw ConfigurationError("\(source) is not the private half of TELNYX_PUBLIC_KEY: Ingest would refuse every Telnyx webhook (401)")
            }
            secrets.telnyxPrivateKey = key
        }
        return secrets
    }

    /// The signer of `provider`'s deliveries; nil when its secret is missing.
    /// - Parameter vapiBearer: send Vapi's secret as a bearer credential instead of `X-Vapi-Secret`.
    func signer(for provider: ProviderName, vapiBearer: Bool = false) -> (any WebhookSigner)? {
        switch provider {
        case .twilio: twilioAuthToken.map { TwilioRequestSigner(authToken: $0) }
        case .vapi: vapiSecret.map { VapiRequestAuthenticator(secret: $0, bearer: vapiBearer) }
        case .retell: retellAPIKey.map { RetellRequestSigner(apiKey: $0) }
        case .telnyx: telnyxPrivateKey.map { TelnyxRequestSigner(privateKey: $0) }
        case .generic: genericWebhookSecret.map { GenericRequestSigner(secret: $0) }
        }
    }
}
