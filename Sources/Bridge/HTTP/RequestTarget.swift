import WireFormats

/// The path and query parameters of a request target (`/ws?token=…&since=…`), decoded
/// (``FormURLEncoding``; a fragment is neither). A parameter given twice keeps its first value.
struct RequestTarget: Sendable {
    var path: String
    var query: [String: String]

    init(_ uri: String) {
        let pathEnd = uri.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? uri.endIndex
        path = FormURLEncoding.decodePath(uri[..<pathEnd])
        var query: [String: String] = [:]
        for pair in FormURLEncoding.query(of: uri).map(FormURLEncoding.pairs) ?? [] where query[pair.name] == nil {
            // The first occurrence wins: a repeated parameter cannot override it.
            query[pair.name] = pair.value
        }
        self.query = query
    }
}
