import Foundation

// Whitespace trimming on the UTF-8 view. Foundation's `trimmingCharacters(in:)` bridges
// through NSString on Linux and was 11 % of Ingest's CPU per webhook (perf, see
// docs/benchmarks.md); header values and JSON fields are ASCII in practice.
extension StringProtocol {
    /// Like `trimmingCharacters(in: .whitespaces)` for ASCII space/tab, without NSString bridging.
    func trimmedWhitespace() -> String {
        let text = Substring(self)
        let u = text.utf8
        var start = u.startIndex, end = u.endIndex
        while start != end, u[start] == 0x20 || u[start] == 0x09 { start = u.index(after: start) }
        while end != start {
            let before = u.index(before: end)
            guard u[before] == 0x20 || u[before] == 0x09 else { break }
            end = before
        }
        return String(text[start..<end])
    }

    /// Like `trimmingCharacters(in: .whitespacesAndNewlines)` for ASCII whitespace.
    func trimmedWhitespaceAndNewlines() -> String {
        let ws: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C }
        let text = Substring(self)
        let u = text.utf8
        var start = u.startIndex, end = u.endIndex
        while start != end, ws(u[start]) { start = u.index(after: start) }
        while end != start {
            let before = u.index(before: end)
            guard ws(u[before]) else { break }
            end = before
        }
        let s = String(text[start..<end])
        // Non-ASCII whitespace (rare): fall back to Foundation.
        if s.utf8.contains(where: { $0 >= 0x80 }) { return s.trimmingCharacters(in: .whitespacesAndNewlines) }
        return s
    }
}
