import CallEvents
import Crypto
import Foundation
import WireFormats

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, URL + each POST parameter's
/// name and value, sorted by name)), checked the way twilio-python's `RequestValidator` does:
///
/// - the URL is accepted with the default port added (`:443` for https, `:80` otherwise)
///   or with any port removed, since Twilio is not consistent about it;
/// - repeated parameters are sorted by name, then by value (a variant with duplicate values
///   removed, as twilio-python computes it, is accepted as well);
/// - for JSON bodies the URL carries `bodySHA256=<hex sha256 of the body>`, only the URL
///   is signed, and the hash is checked against the raw body.
struct TwilioSignature: Sendable {
    static let header = "X-Twilio-Signature"

    private let key: SymmetricKey

    init(authToken: String) {
        key = SymmetricKey(data: Array(authToken.utf8))
    }

    /// The base64 signature of `url` and `parameters` exactly as given (no port variants).
    func signature(
        url: String, parameters: [(name: String, value: String)], deduplicatingValues: Bool = false
    ) -> String {
        let message = Self.signedString(url: url, parameters: parameters, deduplicatingValues: deduplicatingValues)
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(message.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// Checks `signature` against every accepted form of `url` and `parameters`.
    /// All candidates are computed and compared in constant time; the result is their OR.
    func verify(signature: String, url: String, parameters: [(name: String, value: String)]) throws(SignatureFailure) {
        let trimmed = signature.trimmedWhitespace()
        guard !trimmed.isEmpty else { throw SignatureFailure("\(Self.header) header is empty") }
        var dedupeOptions = [false]
        if Self.hasDuplicateValues(parameters) { dedupeOptions.append(true) }
        var valid = false
        for candidateURL in Self.urlVariants(url) {
            for dedupe in dedupeOptions {
                let expected = self.signature(url: candidateURL, parameters: parameters, deduplicatingValues: dedupe)
                valid = ConstantTime.equals(expected, trimmed) || valid
            }
        }
        guard valid else {
            throw SignatureFailure(
                "\(Self.header) does not match: check the auth token and that PUBLIC_BASE_URL is the URL Twilio calls")
        }
    }

    /// Checks the `bodySHA256` query parameter of `url` against the SHA-256 of `body` (JSON mode).
    static func verifyBodyHash(body: some Collection<UInt8>, url: String) throws(SignatureFailure) {
        guard
            let provided = FormURLEncoding.query(of: url).flatMap({
                FormURLEncoding.values(named: "bodySHA256", in: $0).first
            })
        else {
            throw SignatureFailure(
                "a JSON body must be signed through a bodySHA256 query parameter, and the URL has none")
        }
        guard let providedBytes = Hex.decode(provided), providedBytes.count == SHA256.byteCount else {
            throw SignatureFailure("bodySHA256 is not a hex SHA-256 digest")
        }
        let digest = SHA256.hash(data: Array(body))
        guard ConstantTime.equals(Array(digest), providedBytes) else {
            throw SignatureFailure("bodySHA256 does not match the body: the body was altered")
        }
    }

    /// URL followed by each parameter's name and value: names in byte order, then values
    /// in byte order within a name; no separators.
    static func signedString(
        url: String, parameters: [(name: String, value: String)], deduplicatingValues: Bool = false
    ) -> String {
        var valuesByName: [String: [String]] = [:]
        for parameter in parameters {
            valuesByName[parameter.name, default: []].append(parameter.value)
        }
        var message = url
        for name in valuesByName.keys.sorted(by: byteOrder) {
            var values = valuesByName[name] ?? []
            if deduplicatingValues { values = Array(Set(values)) }
            for value in values.sorted(by: byteOrder) {
                message += name
                message += value
            }
        }
        return message
    }

    /// The URL with any port removed and with a port (the default one added when none is
    /// given), in that order, without repetition. A URL without `scheme://` is returned alone.
    static func urlVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd =
            afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]

        var userInfo = Substring("")
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[...at]
            hostPort = authority[authority.index(after: at)...]
        }
        var host = hostPort
        var port: Substring?
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = hostPort[...close]
            let tail = hostPort[hostPort.index(after: close)...]
            if tail.hasPrefix(":") { port = tail.dropFirst() }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            port = hostPort[hostPort.index(after: colon)...]
        }
        if let given = port, given.isEmpty { port = nil }

        let prefix = url[..<schemeEnd.upperBound]
        let withoutPort = String(prefix) + userInfo + host + rest
        let portText = port.map(String.init) ?? (scheme == "https" ? "443" : "80")
        let withPort = String(prefix) + userInfo + host + ":" + portText + rest
        return withoutPort == withPort ? [withoutPort] : [withoutPort, withPort]
    }

    private static func hasDuplicateValues(_ parameters: [(name: String, value: String)]) -> Bool {
        var seen = Set<[String]>()
        for parameter in parameters where !seen.insert([parameter.name, parameter.value]).inserted {
            return true
        }
        return false
    }

    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
