import Foundation
import HTTPTypes
import NIOCore
import WireFormats

/// A webhook delivery as received: what providers verify and normalize.
///
/// `body` holds the raw bytes exactly as they arrived; signatures are always checked
/// over these, never over a re-serialization.
package struct WebhookRequest: Sendable {
    /// Path and query as the client sent them, e.g. `/webhooks/twilio?clientId=acme`.
    var uri: String
    var headers: HTTPFields
    var body: ByteBuffer
    /// When Ingest received the delivery (stamped on dead letters; providers check signature
    /// timestamps against their own injectable clock).
    var receivedAt: Date

    package init(uri: String, headers: HTTPFields, body: ByteBuffer, receivedAt: Date) {
        self.uri = uri
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// Every value of a query parameter in URL order, form-decoded.
    func queryValues(_ name: String) -> [String] {
        guard let query = FormURLEncoding.query(of: uri) else { return [] }
        return FormURLEncoding.values(named: name, in: query)
    }

    /// The value of a header (case-insensitive), or nil.
    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return header(field)
    }

    /// The value of a header, or nil; for names known in advance, which skips validating
    /// and lowercasing the name on every request.
    func header(_ name: HTTPField.Name) -> String? {
        headers.value(of: name)
    }
}
