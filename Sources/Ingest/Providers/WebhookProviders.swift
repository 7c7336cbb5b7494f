/// Every provider Ingest knows, in one list that routing, metrics and start-up all read: its
/// name (the route `/webhooks/{name}`, the `provider` label of the metrics, the CloudEvent
/// source `callbridge/ingest/{name}`) and how it is made from its secret.
///
/// A provider whose secret is not configured is disabled: its endpoint answers 404 instead
/// of accepting unverified calls.
package enum WebhookProviders {
    /// One known provider: its name, and the provider when the configuration holds its secret.
    struct Registration: Sendable {
        let name: String
        /// nil when the provider's secret is not configured.
        let make: @Sendable (IngestConfiguration) throws -> (any WebhookProvider)?
    }

    /// In the contract's order.
    static let registrations: [Registration] = [
        Registration(name: TwilioProvider.name) { configuration in
            configuration.secrets.twilioAuthToken.map {
                TwilioProvider(authToken: $0, publicBaseURL: configuration.resolvedPublicBaseURL)
            }
        },
        Registration(name: VapiProvider.name) { configuration in
            configuration.secrets.vapiSecret.map { VapiProvider(secret: $0) }
        },
        Registration(name: RetellProvider.name) { configuration in
            configuration.secrets.retellAPIKey.map {
                RetellProvider(apiKey: $0, tolerance: configuration.signatureTolerance)
            }
        },
        Registration(name: TelnyxProvider.name) { configuration in
            try configuration.secrets.telnyxPublicKey.map {
                try TelnyxProvider(publicKey: $0, tolerance: configuration.signatureTolerance)
            }
        },
        Registration(name: GenericProvider.name) { configuration in
            configuration.secrets.genericWebhookSecret.map {
                GenericProvider(secret: $0, tolerance: configuration.signatureTolerance)
            }
        },
    ]

    /// The names of every known provider, enabled or not, in the contract's order.
    static let names = registrations.map(\.name)

    /// The enabled providers by name.
    /// - Throws: ``SignatureKeyError`` when a configured key cannot be used (a bad Telnyx public key).
    package static func enabled(by configuration: IngestConfiguration) throws -> [String: any WebhookProvider] {
        var providers: [String: any WebhookProvider] = [:]
        for registration in registrations {
            providers[registration.name] = try registration.make(configuration)
        }
        return providers
    }
}
