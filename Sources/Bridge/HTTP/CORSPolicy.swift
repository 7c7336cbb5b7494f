import Foundation
import HTTPTypes
import Settings

/// Which web origins may use the Bridge from a browser page served elsewhere
/// (`--cors-origins`): the `Access-Control-*` headers of every `/socket.io/` answer, the
/// answer to preflights, and, with an allow-list, the `Origin` check of WebSocket upgrades.
///
/// A request without `Origin` is not from a browser page on another origin, so it gets no
/// CORS headers and is never refused for its origin; tokens still decide what it may see.
struct CORSPolicy: Sendable, Equatable {
    enum Allowed: Sendable, Equatable {
        /// No CORS headers; WebSocket upgrades from any origin (the default).
        case none
        /// `Access-Control-Allow-Origin: *` (without credentials); upgrades from any origin.
        case any
        /// These origins only, each echoed with `Access-Control-Allow-Credentials: true`;
        /// a WebSocket upgrade from another origin is refused with 403.
        case only(Set<String>)
    }

    var allowed: Allowed

    static let none = CORSPolicy(allowed: .none)

    /// What may follow the scheme of an origin (lowercased): host names, IPv4 and bracketed
    /// IPv6 addresses, a port.
    private static let originCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")

    /// Parses `--cors-origins`: empty for none, `*`, or a comma-separated list of origins
    /// (`scheme://host[:port]`, no path), compared case-insensitively.
    init(parsing text: String) throws(ConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            allowed = .none
            return
        }
        if trimmed == "*" {
            allowed = .any
            return
        }
        var origins: Set<String> = []
        for entry in trimmed.split(separator: ",") {
            let origin = entry.trimmingCharacters(in: .whitespaces)
            guard let normalized = Self.normalized(origin) else {
                throw ConfigurationError(
                    "--cors-origins: '\(origin.prefix(100))' is not an origin: expected scheme://host[:port] (such as https://dash.example.com), or * alone"
                )
            }
            origins.insert(normalized)
        }
        allowed = .only(origins)
    }

    init(allowed: Allowed) {
        self.allowed = allowed
    }

    /// The origin in the form compared: lowercase, `http` or `https`, a host, an optional
    /// port, nothing after; nil when `text` is not one.
    static func normalized(_ text: String) -> String? {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            rest = lowered.dropFirst(8)
        } else if lowered.hasPrefix("http://") {
            rest = lowered.dropFirst(7)
        } else {
            return nil
        }
        guard !rest.isEmpty, !rest.hasPrefix(":"), rest.allSatisfy(originCharacters.contains) else { return nil }
        return lowered
    }

    /// Whether a page from `origin` may read the Bridge's answers.
    func allows(origin: String) -> Bool {
        switch allowed {
        case .none: false
        case .any: true
        case .only(let origins): Self.normalized(origin).map(origins.contains) ?? false
        }
    }

    /// Whether a WebSocket upgrade from `origin` is accepted.
    func allowsUpgrade(origin: String?) -> Bool {
        guard case .only = allowed, let origin else { return true }
        return allows(origin: origin)
    }

    /// The headers of an answer to a request from `origin`.
    func responseHeaders(origin: String?) -> HTTPFields {
        var headers = HTTPFields()
        guard let origin, allows(origin: origin) else { return headers }
        switch allowed {
        case .none:
            break
        case .any:
            headers[.accessControlAllowOrigin] = "*"
        case .only:
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowCredentials] = "true"
            headers[.vary] = "Origin"
        }
        return headers
    }

    /// The headers of an answer to a preflight (`OPTIONS` with
    /// `Access-Control-Request-Method`) from `origin`: none when the origin is not allowed,
    /// so the browser refuses the request it was about to make.
    func preflightHeaders(origin: String?, requestedHeaders: String?) -> HTTPFields {
        var headers = responseHeaders(origin: origin)
        guard !headers.isEmpty else { return headers }
        headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
        if let requestedHeaders, !requestedHeaders.isEmpty {
            headers[.accessControlAllowHeaders] = requestedHeaders
        }
        headers[.accessControlMaxAge] = "600"
        return headers
    }
}
