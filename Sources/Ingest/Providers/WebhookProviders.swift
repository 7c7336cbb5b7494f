/// The providers Ingest serves, built from the configuration. A provider whose secret is not
/// configured is absent, so its endpoint answers 404 instead of accepting unverified calls.
enum WebhookProviders {
    /// - Throws: ``SignatureKeyError`` when a configured key cannot be used (a bad Telnyx public key).
    static func enabled(by configuration: IngestConfiguration) throws -> [String: any WebhookProvider] {
        let secrets = configuration.secrets
        let tolerance = configuration.signatureTolerance
        var providers: [String: any WebhookProvider] = [:]
        if let token = secrets.twilioAuthToken {
            providers["twilio"] = TwilioProvider(authToken: token, publicBaseURL: configuration.resolvedPublicBaseURL)
        }
        if let secret = secrets.vapiSecret {
            providers["vapi"] = VapiProvider(secret: secret)
        }
        if let key = secrets.retellAPIKey {
            providers["retell"] = RetellProvider(apiKey: key, tolerance: tolerance)
        }
        if let key = secrets.telnyxPublicKey {
            providers["telnyx"] = try TelnyxProvider(publicKey: key, tolerance: tolerance)
        }
        if let secret = secrets.genericWebhookSecret {
            providers["generic"] = GenericProvider(secret: secret, tolerance: tolerance)
        }
        return providers
    }
}
