import CallEvents
import Foundation
import WireFormats

/// Where a webhook's `clientId` comes from, checked against the one rule of ``ClientID``.
extension ClientID {
    /// `value` when it is a valid clientId; otherwise a 422 naming where it came from.
    static func validated(_ value: String, source: String) throws(WebhookRejection) -> String {
        guard isValid(value) else {
            let shown =
                value.isEmpty
                ? "is empty" : "\(String(value.prefix(64)).debugDescription)\(value.count > 64 ? "…" : "") is invalid"
            throw .missingField(
                "clientId from \(source) \(shown): it must be \(rule) (it names the room client:{clientId})")
        }
        return value
    }

    /// The `clientId` query parameter of the webhook URL, validated, or nil when the URL has
    /// none. Given twice it is a 400, even with one value twice: the URL is ambiguous.
    static func fromQuery(_ request: WebhookRequest) throws(WebhookRejection) -> String? {
        let values = request.queryValues("clientId")
        guard values.count < 2 else {
            throw .malformed(
                "clientId is given more than once in the webhook URL: which client the call belongs to is ambiguous")
        }
        guard let value = values.first else { return nil }
        return try validated(value, source: "the clientId query parameter")
    }

    /// A clientId found in a provider's free-form metadata object; nil when the object has none.
    /// A non-string value is refused (422) rather than guessed at.
    static func fromMetadata(_ metadata: JSONObject?) throws(WebhookRejection) -> String? {
        guard let metadata, let value = metadata.value("clientId") else { return nil }
        let source = metadata.path("clientId")
        guard case .string(let text) = value else {
            throw .missingField("clientId from \(source) is \(value.kind.phrase): it must be a string of \(rule)")
        }
        return try validated(text, source: source)
    }

    /// The 422 for a delivery without any clientId; `fallback` says where else it may be given.
    static func missing(_ fallback: String) -> WebhookRejection {
        .missingField(
            "clientId is missing: add ?clientId=… to the webhook URL\(fallback.isEmpty ? "" : " or set \(fallback)")")
    }
}

/// Call times and durations.
enum CallTiming {
    /// Whole seconds, rounded half up, from a non-negative number of milliseconds.
    static func wholeSeconds(milliseconds: Double) -> Int? {
        guard milliseconds.isFinite, milliseconds >= 0 else { return nil }
        let wholeMilliseconds = Int64(milliseconds.rounded())
        return Int((wholeMilliseconds + 500) / 1000)
    }

    /// `end − start` in whole seconds (rounded half up from milliseconds), nil when end is before start.
    static func duration(from start: Date, to end: Date) -> Int? {
        let seconds = end.timeIntervalSince(start)
        guard seconds >= 0 else { return nil }
        return wholeSeconds(milliseconds: seconds * 1000)
    }

    /// A call's times as an event of `type` knows them: a `call.started` has no end yet, and
    /// its start, when not given, is the event's time; a `call.ended`'s end, when not given,
    /// is the event's time, and then start, end and duration complete each other (``complete``).
    static func fill(
        for type: CallEventType, eventTime: Date?, startedAt: inout Date?, endedAt: inout Date?,
        durationSeconds: inout Int?
    ) {
        switch type {
        case .started:
            startedAt = startedAt ?? eventTime
            endedAt = nil
        case .ended:
            endedAt = endedAt ?? eventTime
            complete(startedAt: &startedAt, endedAt: endedAt, durationSeconds: &durationSeconds)
        }
    }

    /// Fills what one of start, end and duration implies about the others: the duration from
    /// start and end when none was given, the start from end and duration when none was given.
    static func complete(startedAt: inout Date?, endedAt: Date?, durationSeconds: inout Int?) {
        if durationSeconds == nil, let startedAt, let endedAt {
            durationSeconds = duration(from: startedAt, to: endedAt)
        }
        if startedAt == nil, let endedAt, let durationSeconds {
            startedAt = endedAt.addingTimeInterval(-Double(durationSeconds))
        }
    }
}

extension WebhookRejection {
    /// The 422 for a required field that is absent, null or empty.
    static func missing(_ field: String, _ hint: String = "") -> WebhookRejection {
        .missingField("\(field) is missing\(hint.isEmpty ? "" : ": \(hint)")")
    }
}
