import Foundation
import WireFormats

/// Why a signature was refused. Providers turn it into a 401 ``WebhookRejection``.
struct SignatureFailure: Error, Sendable, Hashable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A key or secret that cannot be used to verify anything (a configuration error, found at start-up).
struct SignatureKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Replay protection shared by the timestamped schemes (Retell, Telnyx, generic).
struct TimestampWindow: Sendable {
    /// The largest accepted distance between a signature's timestamp and now, either way.
    var tolerance: Duration
    var now: @Sendable () -> Date

    var toleranceSeconds: Double {
        let (seconds, attoseconds) = tolerance.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Checks that `timestamp` is within the tolerance of now; `source` names it in messages
    /// (e.g. `telnyx-timestamp`, `x-retell-signature timestamp`).
    func check(_ timestamp: Date, source: String) throws(SignatureFailure) {
        let skew = timestamp.timeIntervalSince(now())
        let limit = toleranceSeconds
        if skew < -limit {
            throw SignatureFailure(
                "\(source) is \(Self.wholeSeconds(-skew)) s old; at most \(Int(limit)) s is accepted (replayed or delayed delivery)"
            )
        }
        if skew > limit {
            throw SignatureFailure(
                "\(source) is \(Self.wholeSeconds(skew)) s in the future; at most \(Int(limit)) s of clock skew is accepted"
            )
        }
    }

    /// Seconds rounded up for messages (ignoring floating-point noise), so that a refused
    /// timestamp never reads as within the tolerance.
    private static func wholeSeconds(_ seconds: Double) -> Int {
        Int((seconds - 1e-6).rounded(.up))
    }
}

/// Parses signature headers of the form `k1=v1,k2=v2,…` (Retell's `v=…,d=…`, the generic
/// `t=…,v1=…`). Keys may repeat; whitespace around items is ignored.
enum SignatureHeader {
    static func items(_ header: String) -> [(key: String, value: String)] {
        header.split(separator: ",", omittingEmptySubsequences: true).compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            return (
                parts[0].trimmedWhitespace(),
                parts[1].trimmedWhitespace()
            )
        }
    }

    /// Calls `body` with the key and value of each item of `header`, in order: the same
    /// items as ``items(_:)``, but as slices of `header`, found by scanning its bytes, so
    /// nothing is copied or allocated (the generic provider's header is parsed on every
    /// webhook).
    ///
    /// Splitting on the bytes `,` and `=` equals ``items(_:)``'s split on characters only
    /// for ASCII text (a combining mark after a comma would join it into one character), so
    /// a header with any other byte goes through ``items(_:)`` itself.
    static func forEachItem(_ header: String, _ body: (_ key: Substring, _ value: Substring) -> Void) {
        let scanned = header.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return false }
            func slice(_ range: Range<Int>) -> Substring {
                var (start, end) = (range.lowerBound, range.upperBound)
                while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
                while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                let lower = header.utf8.index(header.utf8.startIndex, offsetBy: start)
                return header[lower..<header.utf8.index(lower, offsetBy: end - start)]
            }
            var itemStart = 0
            while itemStart < bytes.count {
                var itemEnd = itemStart
                while itemEnd < bytes.count, bytes[itemEnd] != UInt8(ascii: ",") { itemEnd += 1 }
                var equals = itemStart
                while equals < itemEnd, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
                if equals < itemEnd {
                    body(slice(itemStart..<equals), slice(equals + 1..<itemEnd))
                }
                itemStart = itemEnd + 1
            }
            return true
        }
        if scanned != true {
            for item in items(header) { body(Substring(item.key), Substring(item.value)) }
        }
    }

    /// True when `text` is a non-empty run of ASCII digits (no sign, no spaces).
    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
