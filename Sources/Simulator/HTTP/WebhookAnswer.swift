/// Ingest's answer to one delivery.
struct WebhookAnswer: Sendable {
    var status: Int
    /// The JSON body (`{"eventId":…}`, `{"status":"ignored",…}` or `{"error":…}`).
    var body: String
    /// The answer said `Connection: close`: the connection cannot carry another request.
    var closesConnection: Bool
    /// Seconds from `Retry-After`, when given (503 answers carry it).
    var retryAfterSeconds: Int?

    /// The event id of a 202 answer.
    var eventId: String? {
        guard let range = body.range(of: "\"eventId\":\"") else { return nil }
        let rest = body[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// A 200 answer saying the delivery was authentic but not a lifecycle change.
    var isIgnored: Bool {
        status == 200 && body.contains("\"status\":\"ignored\"")
    }
}
