import Settings
import WireFormats

/// Where webhooks go: `http://HOST[:PORT][/PREFIX]`. Plain HTTP only (Ingest, or a proxy in
/// front of it, on a trusted network); the signatures do not depend on the transport.
struct TargetURL: Sendable, Hashable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int
    /// A path prefix without the trailing slash, `""` for none.
    var basePath: String

    /// The URL without a trailing slash, e.g. `http://127.0.0.1:8080`.
    var baseURL: String {
        let defaultPort = port == 80
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostText)\(defaultPort ? "" : ":\(port)")\(basePath)"
    }

    /// The `Host` header's value.
    var hostHeader: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? hostText : "\(hostText):\(port)"
    }

    var description: String { baseURL }

    static func parse(_ text: String) throws(ConfigurationError) -> TargetURL {
        let trimmed = text.trimmedWhitespace()
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw ConfigurationError("--url '\(text)' is not a URL such as http://127.0.0.1:8080")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" else {
            throw ConfigurationError(
                "--url '\(text)': only http:// is supported (point it at Ingest or at a proxy's plain HTTP port)")
        }
        let rest = trimmed[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        guard !path.contains("?"), !path.contains("#") else {
            throw ConfigurationError("--url '\(text)' must not carry a query or fragment")
        }
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw ConfigurationError("--url '\(text)' has no host (or has user info, which is not supported)")
        }
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ConfigurationError("--url '\(text)': unclosed [ in the IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let tail = authority[authority.index(after: close)...]
            if tail.hasPrefix(":") {
                port = try parsePort(tail.dropFirst(), text: text)
            } else if !tail.isEmpty {
                throw ConfigurationError("--url '\(text)': unexpected '\(tail)' after the address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = try parsePort(authority[authority.index(after: colon)...], text: text)
        }
        guard !host.isEmpty else { throw ConfigurationError("--url '\(text)' has no host") }
        return TargetURL(scheme: scheme, host: String(host), port: port, basePath: path)
    }

    private static func parsePort(_ text: Substring, text whole: String) throws(ConfigurationError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ConfigurationError("--url '\(whole)': the port must be 1 to 65535")
        }
        return port
    }
}
