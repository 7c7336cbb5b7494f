import HTTPTypes

/// Why a webhook delivery is refused, as the HTTP status and a human-readable message.
///
/// `deadLetter` is true for deliveries that were authentic but could not be normalized:
/// those are also written, raw, to the dead-letter topic for inspection.
package struct WebhookRejection: Error, Sendable, Hashable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    var deadLetter: Bool

    /// 400: the body is not what the provider sends (not JSON, not a form, wrong shape).
    /// Only raised after authentication, so it is always dead-lettered.
    static func malformed(_ message: String) -> WebhookRejection {
        WebhookRejection(status: .badRequest, message: message, deadLetter: true)
    }

    /// 401: missing or wrong signature or secret, or a timestamp outside the tolerance.
    static func unauthorized(_ message: String) -> WebhookRejection {
        WebhookRejection(status: .unauthorized, message: message, deadLetter: false)
    }

    /// 415: a content type the provider does not send.
    static func unsupportedMediaType(_ message: String) -> WebhookRejection {
        WebhookRejection(status: .unsupportedMediaType, message: message, deadLetter: false)
    }

    /// 422: well-formed and authentic, but a required field (callId, clientId, status) is missing.
    static func missingField(_ message: String) -> WebhookRejection {
        WebhookRejection(status: .unprocessableContent, message: message, deadLetter: true)
    }

    package var description: String { "\(status.code) \(message)" }
}
