import Foundation

/// The path and query parameters of a request target (`/ws?token=…&since=…`),
/// percent-decoded. A parameter with malformed escapes is kept as it came.
struct RequestTarget: Sendable {
    var path: String
    var query: [String: String]

    init(_ uri: String) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = parts.first.map(String.init) ?? "/"
        path = rawPath.removingPercentEncoding ?? rawPath
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decodedQueryComponent(keyValue[0])
                // The first occurrence wins: a repeated parameter cannot override it.
                if query[key] == nil {
                    query[key] = keyValue.count > 1 ? Self.decodedQueryComponent(keyValue[1]) : ""
                }
            }
        }
        self.query = query
    }

    /// Form encoding: `+` is a space, then percent escapes.
    private static func decodedQueryComponent(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
