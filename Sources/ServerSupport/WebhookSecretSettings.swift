import Settings

/// The providers' webhook secrets, as Ingest verifies with them and `callbridge-sim` signs
/// with them: the same variables and `--NAME-file` flags for both.
public enum WebhookSecretSettings {
    public static let twilioAuthToken = Setting.secret(
        "TWILIO_AUTH_TOKEN", fileFlag: "--twilio-auth-token-file", what: "the Twilio auth token")
    public static let vapiSecret = Setting.secret(
        "VAPI_SECRET", fileFlag: "--vapi-secret-file", what: "the Vapi secret")
    public static let retellAPIKey = Setting.secret(
        "RETELL_API_KEY", fileFlag: "--retell-api-key-file", what: "the Retell API key")
    public static let telnyxPublicKey = Setting.secret(
        "TELNYX_PUBLIC_KEY", fileFlag: "--telnyx-public-key-file", what: "the Telnyx public key, base64"
    )
    public static let genericWebhookSecret = Setting.secret(
        "GENERIC_WEBHOOK_SECRET", fileFlag: "--generic-webhook-secret-file", what: "the generic webhook secret"
    )
}
