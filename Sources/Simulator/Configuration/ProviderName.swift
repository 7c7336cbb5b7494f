/// The five webhook senders Ingest accepts, each at `POST /webhooks/{rawValue}`.
enum ProviderName: String, CaseIterable, Sendable, Hashable, Comparable {
    case twilio
    case vapi
    case retell
    case telnyx
    case generic

    /// The route Ingest serves this provider on.
    var path: String { "/webhooks/\(rawValue)" }

    static func < (lhs: ProviderName, rhs: ProviderName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
