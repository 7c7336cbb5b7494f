/// Why bytes could not be decoded as a ``CallEvent``.
///
/// ``field`` names the offending member by its JSON path (`"time"`, `"data.callId"`), or
/// is nil when the problem is the document as a whole; ``reason`` says what is wrong.
/// ``description`` puts both into one sentence fit for a log line or a dead-letter note,
/// e.g. `missing required field "data.callId"`.
///
/// Values quoted in descriptions are only ever envelope attributes (`specversion`,
/// `type`, `datacontenttype`, a timestamp) and are shortened, so an error message never
/// carries a phone number or an unbounded payload into the logs.
public struct CallEventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The bytes are not a JSON document (or exceed the nesting limit); the text says
        /// what was found at which byte offset.
        case notJSON(String)
        /// A required field is absent.
        case missingField
        /// A field appears more than once in the same object, which makes its value ambiguous.
        case duplicateField
        /// A field has a JSON type other than the one it must have, e.g. a number for `id`.
        /// Both are phrases such as `"a string"`, `"an object"`, `"null"`.
        case wrongType(expected: String, found: String)
        /// A required text field is the empty string.
        case emptyValue
        /// `data.clientId` is not a ``ClientID``. Its value is not quoted: it is arbitrary text.
        case invalidClientID
        /// `specversion` is not `"1.0"`.
        case unsupportedSpecVersion(String)
        /// `type` is not one of ``CallEventType``'s raw values.
        case unknownEventType(String)
        /// A time is not an RFC 3339 date-time.
        case invalidTimestamp(String)
        /// `datacontenttype` says `data` is something other than JSON.
        case unsupportedContentType(String)
        /// `subject` is present but differs from `data.callId`.
        case subjectMismatch
        /// A whole number does not fit in `Int`.
        case integerOutOfRange
    }

    /// The JSON path of the offending field (`"id"`, `"data.callId"`), or nil for the whole document.
    public let field: String?
    /// What is wrong.
    public let reason: Reason

    /// Creates an error for `field` (nil: the whole document).
    public init(field: String?, reason: Reason) {
        self.field = field
        self.reason = reason
    }

    public var description: String {
        let name = field.map { "field \"\($0)\"" } ?? "the event"
        switch reason {
        case .notJSON(let detail):
            return "the event is not valid JSON: \(detail)"
        case .missingField:
            return "missing required \(name)"
        case .duplicateField:
            return "\(name) appears more than once"
        case .wrongType(let expected, let found):
            return "\(name) has the wrong type: expected \(expected), found \(found)"
        case .emptyValue:
            return "\(name) must not be empty"
        case .invalidClientID:
            return "\(name) is not a client id: it must be \(ClientID.rule)"
        case .unsupportedSpecVersion(let version):
            return "\(name) is \(Self.quoted(version)), but only CloudEvents \"1.0\" is supported"
        case .unknownEventType(let type):
            let known = CallEventType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            return "\(name) is \(Self.quoted(type)), which is not a known call event type (expected \(known))"
        case .invalidTimestamp(let text):
            return
                "\(name) is \(Self.quoted(text)), which is not an RFC 3339 timestamp such as \"2026-01-27T16:13:00.000Z\""
        case .unsupportedContentType(let type):
            return "\(name) is \(Self.quoted(type)), but data must be \"application/json\""
        case .subjectMismatch:
            return "\(name) does not match data.callId"
        case .integerOutOfRange:
            return "\(name) is too large for a 64-bit integer"
        }
    }

    /// A value quoted for a message, cut to a bounded length.
    private static func quoted(_ value: String) -> String {
        let limit = 64
        if value.count <= limit { return "\"\(value)\"" }
        return "\"\(value.prefix(limit))…\""
    }
}
