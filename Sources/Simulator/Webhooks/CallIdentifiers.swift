/// The ids a provider gives a call: the one Ingest uses as call id, and others its bodies carry.
struct CallIdentifiers: Sendable {
    var callId: String
    /// Provider-specific ids by name (`accountSid`, `callSessionId`, `agentId`, …).
    var others: [String: String] = [:]

    subscript(_ name: String) -> String {
        others[name] ?? ""
    }
}
