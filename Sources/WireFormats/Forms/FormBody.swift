/// A form-urlencoded body read once, for both of its uses: its parameters as a signature
/// covers them, decoded leniently (``FormURLEncoding``), and whether it is strictly a form
/// (what may be built on).
public struct FormBody: Sendable {
    /// What makes a body not strictly `application/x-www-form-urlencoded`.
    public enum Flaw: Sendable, Hashable {
        /// The body is not UTF-8.
        case notUTF8
        /// A pair (as it came) has no `=`.
        case notAPair(String)
        /// The name (as it came) of a pair whose name or value has a malformed `%` escape,
        /// or decodes to bytes that are not UTF-8.
        case badEscape(name: String)
        /// A pair has an empty name.
        case emptyName
    }

    /// Every parameter in order, decoded leniently; empty pairs are skipped.
    public let parameters: [(name: String, value: String)]
    /// The first flaw, in the body's order (``Flaw/notUTF8`` before all); nil for a strict form.
    public let flaw: Flaw?

    public init(_ bytes: some Collection<UInt8>) {
        let text: String
        var parameters: [(name: String, value: String)] = []
        var flaw: Flaw?
        if let valid = String(validating: bytes, as: UTF8.self) {
            text = valid
        } else {
            text = String(decoding: bytes, as: UTF8.self)
            flaw = .notUTF8
        }
        FormURLEncoding.forEachPair(Substring(text)) { rawName, rawValue in
            var wellFormed = true
            let name = FormURLEncoding.decode(rawName, plusAsSpace: true, wellFormed: &wellFormed)
            let value = rawValue.map { FormURLEncoding.decode($0, plusAsSpace: true, wellFormed: &wellFormed) } ?? ""
            parameters.append((name, value))
            guard flaw == nil else { return }
            if rawValue == nil {
                flaw = .notAPair(String(rawName))
            } else if !wellFormed {
                flaw = .badEscape(name: String(rawName))
            } else if name.isEmpty {
                flaw = .emptyName
            }
        }
        self.parameters = parameters
        self.flaw = flaw
    }
}
