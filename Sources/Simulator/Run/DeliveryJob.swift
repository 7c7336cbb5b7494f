/// A delivery ready to post: what, where, signed by whom, and why.
struct DeliveryJob: Sendable {
    var delivery: ScheduledDelivery
    var provider: ProviderName
    var callId: String
    var content: WebhookContent
    var signer: any WebhookSigner
    /// The full public URL the provider calls (what Twilio signs).
    var publicURL: String
}
