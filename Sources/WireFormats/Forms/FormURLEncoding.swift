/// `application/x-www-form-urlencoded`, the encoding of query strings and of Twilio's
/// bodies: `name=value` pairs joined by `&`, a space as `+`, other bytes as `%XX`.
///
/// Decoding is lenient, as a server must be with what it is sent: a malformed escape (`%`
/// not followed by two hex digits) is kept as it came, and bytes that are not UTF-8 become
/// U+FFFD. Where a malformed component must be refused instead, ``FormBody`` says so.
public enum FormURLEncoding {
    /// Decodes one name or value: `+` is a space, `%XX` a byte.
    static func decode(_ component: Substring) -> String {
        var wellFormed = true
        return decode(component, plusAsSpace: true, wellFormed: &wellFormed)
    }

    /// Decodes `%XX` escapes only (a `+` stays a `+`), as in the path of a URL.
    public static func decodePath(_ path: Substring) -> String {
        var wellFormed = true
        return decode(path, plusAsSpace: false, wellFormed: &wellFormed)
    }

    /// The query of a request target or URL: what follows the first `?`, up to a `#`
    /// (RFC 3986: the fragment is not part of the query); nil when there is no `?`.
    public static func query(of uri: String) -> Substring? {
        let utf8 = uri.utf8
        guard let question = utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
            utf8[question] == UInt8(ascii: "?")
        else { return nil }
        let query = uri[utf8.index(after: question)...]
        guard let hash = query.utf8.firstIndex(of: UInt8(ascii: "#")) else { return query }
        return query[..<hash]
    }

    /// Every `name=value` pair of `text` in order, decoded. Empty pairs (`a=1&&b=2`) are
    /// skipped; a pair without `=` is a name with an empty value.
    public static func pairs(_ text: Substring) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        forEachPair(text) { name, value in
            pairs.append((decode(name), value.map(decode) ?? ""))
        }
        return pairs
    }

    /// Every value of the parameter `name` in `query`, in order (none when it is absent).
    public static func values(named name: String, in query: Substring) -> [String] {
        var values: [String] = []
        forEachPair(query) { rawName, rawValue in
            guard decode(rawName) == name else { return }
            values.append(rawValue.map(decode) ?? "")
        }
        return values
    }

    // MARK: - Encoding

    /// `name=value&…`, each encoded with ``encode(_:)``.
    public static func encode(_ parameters: [(name: String, value: String)]) -> String {
        parameters.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&")
    }

    /// One name or value: unreserved characters as they are, a space as `+`, every other
    /// byte as `%XX` (uppercase hex).
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: " "):
                output.append(UInt8(ascii: "+"))
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: - The one decoder

    /// Calls `body` with each non-empty `&`-separated pair of `text`, split at its first `=`
    /// (nil value when it has none), still encoded.
    static func forEachPair(_ text: Substring, _ body: (_ name: Substring, _ value: Substring?) throws -> Void) rethrows
    {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) {
                try body(pair[..<equals], pair[pair.utf8.index(after: equals)...])
            } else {
                try body(pair, nil)
            }
        }
    }

    /// Decodes `%XX` escapes (and `+` as a space when `plusAsSpace`). `wellFormed` is set
    /// to false when an escape is malformed (it is kept as it came) or the decoded bytes
    /// are not UTF-8 (they become U+FFFD).
    static func decode(_ component: Substring, plusAsSpace: Bool, wellFormed: inout Bool) -> String {
        let utf8 = component.utf8
        // Most names and values have nothing to decode: then they are the text as it is.
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(component)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+") where plusAsSpace:
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = iterator.next()
                let low = iterator.next()
                if let high, let low, let highNibble = Hex.nibble(high), let lowNibble = Hex.nibble(low) {
                    bytes.append(highNibble << 4 | lowNibble)
                } else {
                    wellFormed = false
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default:
                bytes.append(byte)
            }
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        wellFormed = false
        return String(decoding: bytes, as: UTF8.self)
    }
}
