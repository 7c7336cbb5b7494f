/// The id of a client (a tenant): who a call belongs to, and so which dashboard room
/// (`client:{clientId}`) shows it.
///
/// One rule for every service: 1 to 128 characters of `A-Z a-z 0-9 . _ -`. Ingest puts
/// nothing else on events, and the Bridge accepts nothing else in tokens, room names and
/// consumed events. Being ASCII, ids compare byte for byte; arbitrary Swift strings would
/// compare by Unicode canonical equivalence, where KELVIN SIGN + "cme" equals "Kcme".
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 128
    /// The rule in words, for error messages.
    public static let rule = "1–128 characters of A-Z, a-z, 0-9, '.', '_' or '-'"

    /// The id, ASCII only.
    public let text: String

    /// `text` as a client id, or nil when it breaks the rule.
    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    /// Whether `text` is a client id. A `String`, not any `StringProtocol`: called from other
    /// modules for every event, a generic would not be specialized.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    public static func == (lhs: ClientID, rhs: ClientID) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
    }

    public var description: String { text }
}
