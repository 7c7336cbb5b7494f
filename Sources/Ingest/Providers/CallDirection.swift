/// The event's `direction`, `inbound` or `outbound`, from the words providers use for it.
enum CallDirection {
    /// `inbound`/`incoming` and `outbound`/`outgoing`, in any case; anything else is nil
    /// (providers with words of their own, Twilio and Vapi, map those themselves).
    static func normalized(_ word: String) -> String? {
        switch word.lowercased() {
        case "inbound", "incoming": "inbound"
        case "outbound", "outgoing": "outbound"
        default: nil
        }
    }
}
