import Crypto
import Settings
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

    /// The setting of each provider's secret, for messages.
    static func setting(of provider: ProviderName) -> Setting<String> {
        switch provider {
        case .twilio: SimulatorSettings.twilioAuthToken
        case .vapi: SimulatorSettings.vapiSecret
        case .retell: SimulatorSettings.retellAPIKey
        case .telnyx: SimulatorSettings.telnyxPrivateKey
        case .generic: SimulatorSettings.genericWebhookSecret
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

extension ProviderSecrets {
    /// Reads every secret (see ``SimulatorSettings``). When `TELNYX_PUBLIC_KEY` is set as well
    /// (a local run exports both), the private key must match it: a mismatch would otherwise
    /// show up only as a stream of 401s.
    init(reading reader: SettingsReader) throws(ConfigurationError) {
        typealias S = SimulatorSettings
        self.init(
            twilioAuthToken: try reader.optionalValue(S.twilioAuthToken),
            vapiSecret: try reader.optionalValue(S.vapiSecret),
            retellAPIKey: try reader.optionalValue(S.retellAPIKey),
            genericWebhookSecret: try reader.optionalValue(S.genericWebhookSecret)
        )
        if let text = try reader.optionalValue(S.telnyxPrivateKey) {
            let source = S.telnyxPrivateKey.declaration.names
            let key = try TelnyxPrivateKey.parse(text, source: source)
            if let expected = try reader.optionalValue(S.telnyxPublicKey),
                expected.trimmedWhitespace() != TelnyxPrivateKey.publicKeyBase64(of: key)
            {
                throw ConfigurationError(
                    "\(source) is not the private half of TELNYX_PUBLIC_KEY: Ingest would refuse every Telnyx webhook (401)"
                )
            }
            telnyxPrivateKey = key
        }
    }
}
