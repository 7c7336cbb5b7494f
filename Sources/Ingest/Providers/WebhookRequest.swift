import Foundation
import HTTPTypes
import NIOCore

/// A webhook delivery as received: what providers verify and normalize.
///
/// `body` holds the raw bytes exactly as they arrived; signatures are always checked
/// over these, never over a re-serialization.
struct WebhookRequest: Sendable {
    /// Path and query as the client sent them, e.g. `/webhooks/twilio?clientId=acme`.
    var uri: String
    var headers: HTTPFields
    var body: ByteBuffer
    /// When Ingest received the delivery (stamped on dead letters; providers check signature
    /// timestamps against their own injectable clock).
    var receivedAt: Date

    /// The raw (still percent-encoded) query string, without the `?`.
    var rawQuery: String? {
        guard let index = uri.firstIndex(of: "?") else { return nil }
        return String(uri[uri.index(after: index)...])
    }

    /// Every value of a query parameter in URL order, percent-decoded (`+` as space, as in forms).
    func queryValues(_ name: String) -> [String] {
        guard let rawQuery else { return [] }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard FormEncoding.decode(parts[0]) == name else { return nil }
            return parts.count > 1 ? FormEncoding.decode(parts[1]) : ""
        }
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

/// `application/x-www-form-urlencoded` decoding, for query strings and Twilio's bodies.
enum FormEncoding {
    /// Decodes one name or value: `+` is a space, `%XX` a byte. Malformed escapes are kept as they are.
    static func decode<S: StringProtocol>(_ text: S) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = iterator.next()
                let low = iterator.next()
                if let high, let low, let value = hexValue(high, low) {
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a whole form body into ordered (name, value) pairs.
    static func parse(_ body: String) -> [(name: String, value: String)] {
        body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    private static func hexValue(_ high: UInt8, _ low: UInt8) -> UInt8? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        guard let h = nibble(high), let l = nibble(low) else { return nil }
        return h << 4 | l
    }
}
